/**
 * The one pipeline behind both entry points: parse → fingerprint → dedupe → policy scan → chunk →
 * embed → upsert → drop the previous version → record lineage → announce.
 *
 * Delivery is at least once, so every step is safe to repeat: ids are derived from the content,
 * the index and the records are upserted, job transitions are conditional, and the outcome event is
 * published before the job is marked finished (a crash in between republishes it, with the same
 * idempotency key, rather than losing it).
 *
 * Requests are processed in batches (`processBatch`): each document goes through its own steps
 * (store round trips, policy Scan, chunking) with bounded concurrency shared by every batch, then
 * the chunks of all of them are embedded in batches and written to the vector index together
 * (one upsert instead of one per document), then each document is committed and announced.
 * Requests of one document in a batch run one after the other, in order.
 */
import type { EventPublisher } from '@keel/event-bus';
import { conflict, type Logger, withSpan } from '@keel/platform';
import {
  type ChunkOptions,
  chunkDocument,
  type Embedder,
  isBlankText,
  type ParsedDocument,
  type ParsedFile,
  parseDocument,
  sha256Hex,
  TextError,
  TextErrorCode,
} from '@keel/text';
import { rebaseParsed } from '@keel/text/formats';
import { OPEN_TO_TENANT, type VectorIndex } from '@keel/vector-store';
import type { DocumentScanner } from '../policy/document-scanner.js';
import { documentChunksFilter } from './chunk-payload.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { decideWrite } from './document-access.js';
import { ContentRejection, type DocumentFiles } from './document-files.js';
import { DocumentVersions } from './document-versions.js';
import { embedAndUpsertAll, type VersionChunks } from './embed-chunks.js';
import { fingerprintOf, tenantScopedKey, versionId } from './identifiers.js';
import type { IndexTargetSet } from './index-targets.js';
import { findViolations, type IngestRequest, type ResolvedRequest, textViolation } from './ingest-request.js';
import { createIngestionMetrics, type IngestionMetrics } from './ingestion-metrics.js';
import { Jobs } from './jobs.js';
import type { ChunkRecord, DocumentRecord, IngestionRecords, JobRecord, VersionRecord } from './records.js';
import { inRequestTrace } from './request-trace.js';

export interface IndexingPipelineDeps {
  records: IngestionRecords;
  vectors: VectorIndex;
  /** The chunk collection of `embedder` (chunk-layout.ts), recorded in lineage. */
  collection: string;
  embedder: Embedder;
  /** While the embedding model changes: the other generation's collection, kept current too. */
  index?: IndexTargetSet;
  scanner: DocumentScanner;
  publisher: EventPublisher;
  logger: Logger;
  embedBatchSize: number;
  /** Documents in flight at once, across every batch; default 16. */
  concurrency?: number;
  chunking?: ChunkOptions;
  /** The largest text (UTF-8 bytes) a request may carry: `INGEST_MAX_BODY`, for events too. */
  maxTextBytes?: number;
  /** Parses requests that carry a file (document-files.ts); without it such requests are rejected. */
  files?: DocumentFiles;
  now?: () => number;
}

/** The text limit when none is configured: `INGEST_MAX_BODY`'s default. */
export const DEFAULT_MAX_TEXT_BYTES = 5 * 1024 * 1024;

/** At most this many violations are named in a rejection's reason. */
const MAX_REPORTED_VIOLATIONS = 10;

export type PipelineOutcome =
  | { status: 'indexed'; documentVersion: string; chunkCount: number; unchanged: boolean }
  | { status: 'rejected'; code: string; reason: string }
  /** A redelivery of a job that had already finished: nothing was done. */
  | { status: 'already-finished' };

/** One request of a batch: its outcome, or the error that should make it retried. */
export type BatchItemResult = { ok: true; outcome: PipelineOutcome } | { ok: false; error: unknown };

/** Failed while the request of the same document before it in the batch failed: retried after it. */
export class HeldBackError extends Error {
  readonly code = 'INGEST.HELD_BACK';
  readonly retryable = true;
}

/** A request that went through its own steps and has chunks to embed. */
interface Prepared {
  request: ResolvedRequest;
  version: string;
  contentSha256: string;
  parser: string;
  chunks: VersionChunks['chunks'];
  stale: VersionRecord[];
  startedAt: number;
}

type Started = { kind: 'finished'; outcome: PipelineOutcome } | { kind: 'prepared'; prepared: Prepared };

export const RejectionCode = {
  invalid: 'DOCUMENT.INVALID',
  empty: TextErrorCode.EmptyDocument,
  unsupportedContentType: TextErrorCode.UnsupportedContentType,
  deletedWhileIndexing: 'DOCUMENT.DELETED',
  /** The HTTP caller lost the right to write the document between acceptance and processing. */
  accessDenied: 'DOCUMENT.ACCESS_DENIED',
  policyBlocked: 'POLICY.BLOCKED',
  policyEscalated: 'POLICY.ESCALATED',
} as const;

class Rejection {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {}
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INGEST.FAILED';
}

export class IndexingPipeline {
  private readonly jobs: Jobs;
  private readonly versions: DocumentVersions;
  private readonly now: () => number;
  private readonly metrics: IngestionMetrics;
  private readonly limit: ConcurrencyLimit;

  constructor(private readonly deps: IndexingPipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.metrics = createIngestionMetrics();
    this.limit = new ConcurrencyLimit(deps.concurrency ?? 16);
    this.jobs = new Jobs(deps.records.jobs, this.now);
    this.versions = new DocumentVersions(deps.records.documents, this.now);
  }

  /**
   * Processes one request. Throws when it should be retried (a dependency is down); resolves
   * when the job reached a final state, including rejection. A request from upstream arrives
   * without a job record; one submitted over HTTP already has one.
   */
  async process(request: IngestRequest): Promise<PipelineOutcome> {
    const [result] = await this.processBatch([request]);
    if (!result) throw new Error('the batch returned no result');
    if (!result.ok) throw result.error;
    return result.outcome;
  }

  /**
   * Processes requests together; one result per request, in order. A failed request (to retry)
   * never fails the others; a document's later requests in the batch are held back after one of
   * its requests failed, so that they cannot overtake it.
   */
  async processBatch(requests: readonly IngestRequest[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = new Array(requests.length);
    const failedDocuments = new Set<string>();
    for (const wave of wavesOf(requests)) {
      const runnable: number[] = [];
      for (const index of wave) {
        const request = requests[index] as IngestRequest;
        if (failedDocuments.has(tenantScopedKey(request.tenantId, request.documentId))) {
          results[index] = {
            ok: false,
            error: new HeldBackError(`an earlier request of document ${request.documentId} in this batch failed`),
          };
        } else {
          runnable.push(index);
        }
      }
      const waveResults = await this.runWave(runnable.map((index) => requests[index] as IngestRequest));
      runnable.forEach((index, position) => {
        const result = waveResults[position] as BatchItemResult;
        results[index] = result;
        if (!result.ok) {
          const request = requests[index] as IngestRequest;
          failedDocuments.add(tenantScopedKey(request.tenantId, request.documentId));
        }
      });
    }
    return results;
  }

  /** Requests of distinct documents: each on its own, then the chunks of all together, then each committed. */
  private async runWave(requests: IngestRequest[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = new Array(requests.length);
    const started = await Promise.all(
      requests.map((request) => this.limit.run(() => this.settle(request, () => this.start(request)))),
    );
    const prepared: { position: number; prepared: Prepared }[] = [];
    started.forEach((entry, position) => {
      if (!entry.ok) results[position] = entry;
      else if (entry.value.kind === 'finished') results[position] = { ok: true, outcome: entry.value.outcome };
      else prepared.push({ position, prepared: entry.value.prepared });
    });
    if (prepared.length === 0) return results;

    let written: Awaited<ReturnType<typeof embedAndUpsertAll>>;
    try {
      written = await withSpan(
        'ingestion.embed_and_upsert',
        {
          attributes: {
            'keel.document_count': prepared.length,
            'keel.chunk_count': prepared.reduce((sum, entry) => sum + entry.prepared.chunks.length, 0),
            'keel.embedder': this.deps.embedder.id,
          },
        },
        async () => {
          const target = {
            vectors: this.deps.vectors,
            collection: this.deps.collection,
            embedder: this.deps.embedder,
            batchSize: this.deps.embedBatchSize,
            chunking: this.deps.chunking ?? {},
          };
          const inputs = prepared.map(({ prepared: item }) => ({
            request: item.request,
            version: item.version,
            parser: item.parser,
            chunks: item.chunks,
            createdAt: this.now(),
          }));
          const records = await embedAndUpsertAll(target, inputs);
          // The generation serving searches during a model change gets every new version too.
          for (const mirror of this.deps.index?.mirrors() ?? []) {
            await embedAndUpsertAll({ ...target, collection: mirror.collection, embedder: mirror.embedder }, inputs);
          }
          return records;
        },
      );
    } catch (error) {
      // Nothing of these versions is current yet: every document is retried as a whole.
      await Promise.all(prepared.map(({ prepared: item }) => this.noteFailure(item.request, error)));
      for (const { position } of prepared) results[position] = { ok: false, error };
      return results;
    }
    const finished = await Promise.all(
      prepared.map(({ prepared: item, position }, offset) =>
        this.limit.run(() =>
          this.settle(
            item.request,
            async () => {
              const records = written[offset] as ChunkRecord[];
              this.metrics.chunksWritten(records.length);
              const outcome = await this.complete(item, records);
              this.metrics.duration(performance.now() - item.startedAt, outcome.status);
              return outcome;
            },
            requests[position],
          ),
        ),
      ),
    );
    finished.forEach((entry, offset) => {
      const position = (prepared[offset] as { position: number }).position;
      results[position] = entry.ok ? { ok: true, outcome: entry.value } : entry;
    });
    return results;
  }

  /**
   * Runs one request's own step; a rejection is its final state, any other error is recorded
   * on its job (a caller polling it sees why it is not done yet) and returned for a retry.
   */
  private async settle<T>(
    request: IngestRequest,
    step: () => Promise<T>,
    /** The request as the caller gave it, which carries its trace (`request` may be derived from it). */
    given: IngestRequest = request,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    try {
      return { ok: true, value: await inRequestTrace(given, step) };
    } catch (error) {
      await this.noteFailure(request, error);
      return { ok: false, error };
    }
  }

  private async noteFailure(request: IngestRequest, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    await this.jobs.noteFailure(request.tenantId, request.jobId, errorCode(error), message).catch(() => undefined);
  }

  /** Up to the chunks: the job, the submitter's right, validation, dedupe, the policy scan. */
  private async start(request: IngestRequest): Promise<Started> {
    const startedAt = performance.now();
    const { tenantId, jobId, documentId } = request;
    const document = await this.versions.get(tenantId, documentId);
    // Absent groups keep the document's (a new document is open to the whole tenant).
    const resolved: ResolvedRequest = {
      ...request,
      aclGroups: request.aclGroups ?? document?.aclGroups ?? [OPEN_TO_TENANT],
    };
    const job = await this.jobs.ensure({
      tenantId,
      jobId,
      documentId,
      origin: 'event',
      aclGroups: resolved.aclGroups,
    });
    if (job.documentId !== documentId) {
      // A producer reused a job id for another document: processing it would corrupt that job.
      throw conflict(`job ${jobId} belongs to document ${job.documentId}, not ${documentId}`, 'INGEST.JOB_ID_REUSED');
    }
    const running =
      (await this.jobs.markRunning(tenantId, jobId, resolved.aclGroups)) ??
      (request.contentAddressed ? await this.reopenIfMovedOn(resolved, document) : null);
    if (!running) {
      this.deps.logger.info({ tenantId, jobId, documentId }, 'job already finished; redelivery ignored');
      return { kind: 'finished', outcome: { status: 'already-finished' } };
    }
    try {
      this.checkSubmitter(request.aclGroups, running, document);
      const started = await this.prepare(resolved, document, startedAt);
      if (started.kind === 'finished') this.metrics.duration(performance.now() - startedAt, started.outcome.status);
      return started;
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      const outcome = await this.reject(resolved, error);
      this.metrics.duration(performance.now() - startedAt, outcome.status);
      return { kind: 'finished', outcome };
    }
  }

  /**
   * A content-addressed job that indexed its content once runs again when its request arrives
   * after the document moved on (changed or deleted since): the producer wants that content back.
   * While the document still holds the job's version, the delivery is a redelivery.
   */
  private async reopenIfMovedOn(request: ResolvedRequest, document: DocumentRecord | null): Promise<JobRecord | null> {
    const finished = await this.jobs.get(request.tenantId, request.jobId);
    if (finished?.status !== 'indexed' || !finished.documentVersion) return null;
    if (document?.currentVersion === finished.documentVersion) return null;
    this.deps.logger.info(
      { tenantId: request.tenantId, jobId: request.jobId, documentId: request.documentId },
      'the document moved on since this request was indexed; indexing it again',
    );
    return this.jobs.reopen(request.tenantId, request.jobId, finished.documentVersion, request.aclGroups);
  }

  /**
   * An HTTP request was authorized when it was accepted; the document may have changed hands
   * since (its groups narrowed), so the submitter's right to write it is checked again.
   */
  private checkSubmitter(askedGroups: string[] | undefined, job: JobRecord, document: DocumentRecord | null): void {
    if (!job.submittedBy) return;
    const decision = decideWrite(job.submittedBy, document?.aclGroups ?? null, askedGroups);
    if (decision.allowed) return;
    throw new Rejection(
      decision.notFound ? RejectionCode.accessDenied : decision.code,
      decision.notFound
        ? "the document's groups changed after the request was accepted, and its submitter may no longer write it"
        : decision.reason,
    );
  }

  private async prepare(
    request: ResolvedRequest,
    existing: DocumentRecord | null,
    startedAt: number,
  ): Promise<Started> {
    const { embedder, scanner } = this.deps;
    // A file is parsed first: its text is what the checks, the fingerprint and the scan see.
    const file = request.content ? await this.parseFile(request) : undefined;
    // The document records the type detected from the bytes, not the hint it came with.
    if (file) request = { ...request, text: file.text, contentType: file.contentType };
    const violations = findViolations(request);
    const tooLong = textViolation(request.text, this.deps.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES);
    if (tooLong) violations.unshift(tooLong);
    if (violations.length > 0) {
      const named = violations.slice(0, MAX_REPORTED_VIOLATIONS);
      const more = violations.length - named.length;
      throw new Rejection(
        RejectionCode.invalid,
        named.map((violation) => `${violation.field}: ${violation.message}`).join('; ') +
          (more > 0 ? `; and ${more} more` : ''),
      );
    }
    if (isBlankText(request.text)) throw new Rejection(RejectionCode.empty, 'the document has no visible text');
    const parsed = file ?? this.parse(request.text, request.contentType);
    const contentSha256 = sha256Hex(request.text);
    const version = versionId(
      request.tenantId,
      request.documentId,
      fingerprintOf({ ...request, contentSha256, embedderId: embedder.id }),
    );

    if (existing?.currentVersion === version) {
      return { kind: 'finished', outcome: await this.finishUnchanged(request, existing, contentSha256) };
    }

    const verdict = await withSpan('ingestion.policy_scan', {}, () =>
      scanner.scan({ tenantId: request.tenantId, documentId: request.documentId, text: request.text }),
    );
    if (verdict.decision === 'block') throw new Rejection(RejectionCode.policyBlocked, verdict.reason);
    if (verdict.decision === 'escalate') throw new Rejection(RejectionCode.policyEscalated, verdict.reason);
    // Redacted text is parsed again so that chunk offsets point into the text that was indexed.
    const indexed =
      verdict.decision !== 'redact'
        ? parsed
        : file
          ? rebaseParsed(file, verdict.text)
          : this.parse(verdict.text, request.contentType);

    const chunks = chunkDocument(indexed, this.deps.chunking);
    if (chunks.length === 0) throw new Rejection(RejectionCode.empty, 'the document has no indexable text');

    const stale = await this.versions.begin(request, {
      version,
      contentSha256,
      jobId: request.jobId,
      chunkCount: chunks.length,
      parser: indexed.parser,
      embedder: embedder.id,
      policyVersion: verdict.policyVersion,
      redacted: verdict.decision === 'redact',
    });
    await this.jobs.markEmbedding(request.tenantId, request.jobId, chunks.length);
    return {
      kind: 'prepared',
      prepared: { request, version, contentSha256, parser: indexed.parser, chunks, stale, startedAt },
    };
  }

  /** After the chunks are in the vector index: drop the old version, record lineage, commit, announce. */
  private async complete(item: Prepared, chunkRecords: ChunkRecord[]): Promise<PipelineOutcome> {
    const { request, version, chunks } = item;
    try {
      await this.removeVersions(request, item.stale);
      await this.replaceChunkRecords(request, version, chunkRecords, item.stale.length > 0);

      const committed = await this.versions.commit(request, version, chunks.length);
      if (!committed) {
        await this.removeVersions(request, [{ version }]);
        await this.deps.records.chunks.deleteMany({ tenantId: request.tenantId, documentId: request.documentId });
        throw new Rejection(RejectionCode.deletedWhileIndexing, 'the document was deleted while it was being indexed');
      }
    } catch (error) {
      if (error instanceof Rejection) return this.reject(request, error);
      throw error;
    }
    return this.finishIndexed(request, {
      version,
      contentSha256: item.contentSha256,
      chunkCount: chunks.length,
      parser: item.parser,
      unchanged: false,
    });
  }

  /** A file that cannot or must not be indexed (corrupt, encrypted, a scan...) is rejected with its code. */
  private async parseFile(request: ResolvedRequest): Promise<ParsedFile> {
    const files = this.deps.files;
    if (!files) throw new Rejection(RejectionCode.unsupportedContentType, 'this service does not take files');
    try {
      return await files.parse(request);
    } catch (error) {
      if (error instanceof TextError || error instanceof ContentRejection) {
        throw new Rejection(error.code, error.message);
      }
      throw error;
    }
  }

  /** Unsupported content types and empty text are the document's fault: rejected, never retried. */
  private parse(text: string, contentType: string): ParsedDocument {
    try {
      return parseDocument({ text, contentType });
    } catch (error) {
      if (error instanceof TextError) throw new Rejection(error.code, error.message);
      throw error;
    }
  }

  /** Same content as the current version: a redelivery of the job that indexed it, or a resubmission. */
  private finishUnchanged(
    request: ResolvedRequest,
    document: DocumentRecord,
    contentSha256: string,
  ): Promise<PipelineOutcome> {
    const current = document.versions.find((entry) => entry.version === document.currentVersion) as VersionRecord;
    return this.finishIndexed(request, {
      version: current.version,
      contentSha256,
      chunkCount: current.chunkCount,
      parser: current.parser,
      unchanged: current.jobId !== request.jobId,
    });
  }

  private async removeVersions(request: ResolvedRequest, versions: Pick<VersionRecord, 'version'>[]): Promise<void> {
    const collections = this.deps.index?.collections() ?? [this.deps.collection];
    for (const { version } of versions) {
      for (const collection of collections) {
        await this.deps.vectors.deleteWhere(
          collection,
          documentChunksFilter(request.tenantId, request.documentId, version),
        );
      }
    }
  }

  /**
   * Without stale versions there are no records of other versions: a superseded version's records
   * were deleted before it was superseded. Skipping the delete spares a new document a round trip.
   */
  private async replaceChunkRecords(
    request: ResolvedRequest,
    version: string,
    records: ChunkRecord[],
    staleVersions: boolean,
  ): Promise<void> {
    const { chunks } = this.deps.records;
    if (staleVersions) {
      await chunks.deleteMany({
        tenantId: request.tenantId,
        documentId: request.documentId,
        documentVersion: { $ne: version },
      });
    }
    await Promise.all(records.map((record) => chunks.upsert(record)));
  }

  private async finishIndexed(
    request: ResolvedRequest,
    result: { version: string; contentSha256: string; chunkCount: number; parser: string; unchanged: boolean },
  ): Promise<PipelineOutcome> {
    await this.deps.publisher.publish(
      'keel.document.indexed.v1',
      {
        tenantId: request.tenantId,
        documentId: request.documentId,
        documentVersion: result.version,
        jobId: request.jobId,
        title: request.title,
        source: request.source,
        chunkCount: result.chunkCount,
        parser: result.parser,
        embedder: this.deps.embedder.id,
        contentSha256: result.contentSha256,
        indexedAt: new Date(this.now()),
        unchanged: result.unchanged,
      },
      { idempotencyKey: `${tenantScopedKey(request.tenantId, request.jobId)}:indexed` },
    );
    await this.jobs.markIndexed(request.tenantId, request.jobId, {
      documentVersion: result.version,
      chunkCount: result.chunkCount,
      unchanged: result.unchanged,
    });
    this.metrics.outcome(result.unchanged ? 'unchanged' : 'indexed');
    this.deps.logger.info(
      {
        tenantId: request.tenantId,
        jobId: request.jobId,
        documentId: request.documentId,
        documentVersion: result.version,
        chunkCount: result.chunkCount,
        unchanged: result.unchanged,
      },
      result.unchanged ? 'document unchanged' : 'document indexed',
    );
    return {
      status: 'indexed',
      documentVersion: result.version,
      chunkCount: result.chunkCount,
      unchanged: result.unchanged,
    };
  }

  private async reject(request: ResolvedRequest, rejection: Rejection): Promise<PipelineOutcome> {
    await this.deps.publisher.publish(
      'keel.document.rejected.v1',
      {
        tenantId: request.tenantId,
        documentId: request.documentId,
        jobId: request.jobId,
        code: rejection.code,
        reason: rejection.reason,
        rejectedAt: new Date(this.now()),
      },
      { idempotencyKey: `${tenantScopedKey(request.tenantId, request.jobId)}:rejected` },
    );
    await this.jobs.markRejected(request.tenantId, request.jobId, rejection.code, rejection.reason);
    this.metrics.outcome('rejected', rejection.code);
    this.deps.logger.info(
      { tenantId: request.tenantId, jobId: request.jobId, documentId: request.documentId, code: rejection.code },
      `document rejected: ${rejection.reason}`,
    );
    return { status: 'rejected', code: rejection.code, reason: rejection.reason };
  }
}

/**
 * Splits a batch into waves in which each document appears once, keeping the order of each
 * document's requests: the n-th request of a document goes into the n-th wave.
 */
export function wavesOf(requests: readonly Pick<IngestRequest, 'tenantId' | 'documentId'>[]): number[][] {
  const waves: number[][] = [];
  const seen = new Map<string, number>();
  requests.forEach((request, index) => {
    const key = tenantScopedKey(request.tenantId, request.documentId);
    const wave = seen.get(key) ?? 0;
    seen.set(key, wave + 1);
    const members = waves[wave] ?? [];
    members.push(index);
    waves[wave] = members;
  });
  return waves;
}
