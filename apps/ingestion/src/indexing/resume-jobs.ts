/**
 * A 202 is a promise: at start, every job that is neither finished nor failed is accounted for.
 *
 * - An HTTP job whose request the bus never acknowledged (the process died between recording the
 *   job and publishing it) is published again from the request kept on the job.
 * - An HTTP job whose request the bus acknowledged, and every job created from an upstream event,
 *   is left to the bus: Kafka and the durable embedded bus keep a request until the consumer
 *   group has handled it, and deliver it again after a restart.
 * - A job that can be neither (recorded before requests were kept on jobs) is failed with the
 *   reason, instead of staying `queued` forever.
 */
import type { EventPublisher } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import type { Jobs } from './jobs.js';
import type { JobRecord } from './records.js';
import { publishRequest } from './submit-document.js';

export const INTERRUPTED_CODE = 'INGEST.INTERRUPTED';

export interface ResumeReport {
  /** Requests published again. */
  republished: number;
  /** Jobs whose request is still on the bus. */
  awaitingDelivery: number;
  /** Jobs given up, with a reason. */
  failed: number;
  /** Delete jobs (by source prefix) started again. */
  deletesResumed?: number;
}

export async function resumeUnfinishedJobs(deps: {
  jobs: Jobs;
  publisher: EventPublisher;
  logger: Logger;
  now?: () => number;
  /** Runs an unfinished delete job again in the background (deleting is idempotent). */
  resumeDelete?: (job: JobRecord) => void;
}): Promise<ResumeReport> {
  const report: ResumeReport = { republished: 0, awaitingDelivery: 0, failed: 0 };
  for await (const job of deps.jobs.unfinished()) {
    const { tenantId, jobId, documentId } = job;
    if (job.kind === 'delete' && deps.resumeDelete) {
      deps.resumeDelete(job);
      report.deletesResumed = (report.deletesResumed ?? 0) + 1;
    } else if (job.origin === 'event' || job.publishedAt) {
      report.awaitingDelivery += 1;
    } else if (job.request) {
      await publishRequest(deps, { tenantId, jobId, documentId }, job.request);
      await deps.jobs.markPublished(tenantId, jobId);
      report.republished += 1;
    } else {
      const failed = await deps.jobs.markFailed(
        tenantId,
        jobId,
        INTERRUPTED_CODE,
        'interrupted by a restart and could not be resumed (its request was not kept); submit the document again',
      );
      if (failed) report.failed += 1;
    }
  }
  if (report.republished + report.awaitingDelivery + report.failed > 0) {
    deps.logger.info(report, 'unfinished jobs found at start');
  }
  return report;
}
