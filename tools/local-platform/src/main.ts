/**
 * `npm start`: the whole platform on one machine with no servers to install, the demo corpus
 * loaded, and the URLs printed. For real infrastructure run each app's main.ts with
 * KAFKA_BROKERS, MONGODB_URL and QDRANT_URL set (see README.md).
 */
import { createLogger, runService, startTelemetry } from '@keel/platform';
import { loadDemoCorpus } from './demo-corpus.js';
import { type DemoReviewsResult, seedDemoReviews } from './demo-reviews.js';
import { loadLauncherConfig } from './launcher-config.js';
import { startLocalPlatform } from './local-platform.js';

const telemetry = startTelemetry({ serviceName: 'keel-local', serviceVersion: '0.1.0' });
const config = loadLauncherConfig();
const logger = createLogger('keel-local', { level: config.logLevel });

await runService({
  name: 'keel-local',
  logger,
  telemetry,
  start: async () => {
    if (config.ignoredInfrastructure.length > 0) {
      process.stdout.write(
        `note: npm start runs on embedded defaults and ignores ${config.ignoredInfrastructure.join(', ')}\n`,
      );
    }
    const platform = await startLocalPlatform({
      dataDir: config.dataDir,
      ports: config.ports,
      env: config.serviceEnv,
      logger,
      host: config.host,
    });
    try {
      const { indexed } = await loadDemoCorpus(platform.urls.ingestion ?? '', config.demoApiKey);
      // After the corpus: the escalated questions are answered from it.
      const reviews = await seedDemoReviews(
        { gateway: platform.urls.gateway ?? '', humanReview: platform.urls.humanReview ?? '' },
        config.demoApiKey,
      );
      process.stdout.write(demoReviewsLine(reviews));
      process.stdout.write(
        banner(platform.urls, config.demoApiKey, config.demoReviewerPassword, indexed, config.dataDir),
      );
    } catch (error) {
      await platform.stop();
      throw error;
    }
    return { urls: platform.urls, stop: () => platform.stop() };
  },
});

function banner(
  urls: Record<string, string>,
  apiKey: string,
  reviewerPassword: string,
  documents: number,
  dataDir: string,
): string {
  return `
Keel is running on embedded defaults (data in ${dataDir}); ${documents} demo documents indexed.

  inference-gateway  ${urls.gateway}   POST /v1/answers, /v1/chat/completions, /v1/embeddings, /v1/search
                                             GET /v1/models, /v1/usage; /v1/admin/* with KEEL_ADMIN_API_KEY
                     ${urls.gatewayGrpc}   gRPC keel.inference.v1.Inference/Answer (internal callers)
  ingestion          ${urls.ingestion}   POST /v1/documents (JSON or file upload), /v1/documents:batch
                                             GET /v1/documents/:id(/chunks), /v1/jobs/:id, /v1/index
  human-review       ${urls.humanReview}   /v1/reviews, /v1/queues, /v1/session, /v1/accounts, /v1/audit
  review console     ${urls.humanReview}/   sign in as reviewer / ${reviewerPassword} (also lead, admin)
  evaluation         ${urls.evaluation}   GET /v1/evaluations, /v1/evaluations:stats, /v1/lineage/answers/:requestId
                                             /v1/datasets (JSONL versions, training data), /v1/runs; npx keel eval run <dataset>
  retrieval          ${urls.retrievalGrpc}   gRPC keel.retrieval.v1.Retrieval/Search (internal)
                     ${urls.retrievalHttp}   /healthz, /readyz
  policy             ${urls.policyGrpc}   gRPC keel.policy.v1.Policy/Check, /Scan (internal)
                     ${urls.policyHttp}   PUT/GET /v1/policies (YAML), POST /v1/policies/check (dry run)

  demo API key: ${apiKey}   (tenant "demo"; this key exists only in npm start)

  curl -s ${urls.gateway}/v1/answers -H 'authorization: Bearer ${apiKey}' \\
    -H 'content-type: application/json' -d '{"question":"How long is the battery warranty?"}'
  KEEL_API_KEY=${apiKey} npx keel ingest <folder>   # load a folder of PDF, DOCX, HTML, Markdown...

Logs are JSON lines on stdout, each naming its service; LOG_LEVEL=info shows more. Press Ctrl-C to stop.
`;
}

function demoReviewsLine(reviews: DemoReviewsResult): string {
  const changed =
    reviews.notEscalated.length > 0
      ? ` (${reviews.notEscalated.length} demo questions were not escalated: the demo tenant's policy was changed)`
      : '';
  return `\n${reviews.open} escalated answers wait in the demo review queue (${reviews.asked} asked at this start)${changed}.\n`;
}
