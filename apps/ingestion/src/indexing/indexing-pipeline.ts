/**
 * The one pipeline behind both entry points: parse → fingerprint → dedupe → policy scan → chunk →
 * embed → upsert → drop the previous version → record lineage → announce.
 *
 * Delivery is at least once, so every step is safe to repeat: ids are derived from the content,
 * the index and the records are upserted, job transitions are conditional, and the outcome event is
 * published before the job is marked finished (a crash in between republishes it, with the same
 * idempotency key, rather than losing it).
 */
import type { EventPublisher } from '@keel/event-bus';
import { conflict, type Logger, withSpan } from '@keel/platform';
import {
  type ChunkOptions,
  chunkDocument,
  type Embedder,
  isBlankText,
  type ParsedDocument,
  parseDocument,
  sha256Hex,
  TextError,
  TextErrorCode,
} from '@keel/text';
import { OPEN_TO_TENANT, type VectorIndex } from '@keel/vector-store';
import type { DocumentScanner } from '../policy/document-scanner.js';
import { documentChunksFilter } from './chunk-payload.js';
import { decideWrite } from './document-access.js';
import { DocumentVersions } from './document-versions.js';
import { embedAndUpsert } from './embed-chunks.js';
import { fingerprintOf, tenantScopedKey, versionId } from './identifiers.js';
import { findViolations, type IngestRequest, type ResolvedRequest, textViolation } from './ingest-request.js';
import { createIngestionMetrics, type IngestionMetrics } from './ingestion-metrics.js';
import { Jobs } from './jobs.js';
import type { ChunkRecord, DocumentRecord, IngestionRecords, JobRecord, VersionRecord } from './records.js';

export interface IndexingPipelineDeps {
  records: IngestionRecords;
  vectors: VectorIndex;
  /** The chunk collection, named for the embedder's width. */
  collection: string;
  embedder: Embedder;
  scanner: DocumentScanner;
  publisher: EventPublisher;
  logger: Logger;
  embedBatchSize: number;
  chunking?: ChunkOptions;
  /** The largest text (UTF-8 bytes) a request may carry: `INGEST_MAX_BODY`, for events too. */
  maxTextBytes?: number;
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

  constructor(private readonly deps: IndexingPipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.metrics = createIngestionMetrics();
    this.jobs = new Jobs(deps.records.jobs, this.now);
    this.versions = new DocumentVersions(deps.records.documents, this.now);
  }

  /**
   * Processes one request. Throws when it should be retried (a dependency is down); resolves
   * when the job reached a final state, including rejection. A request from upstream arrives
   * without a job record; one submitted over HTTP already has one.
   */
  async process(request: IngestRequest): Promise<PipelineOutcome> {
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
      return { status: 'already-finished' };
    }
    const startedAt = performance.now();
    try {
      const outcome = await this.run(resolved, request.aclGroups, running, document);
      this.metrics.duration(performance.now() - startedAt, outcome.status);
      return outcome;
    } catch (error) {
      // Leave the reason on the job so that a caller polling it sees why it is not done yet.
      const message = error instanceof Error ? error.message : String(error);
      await this.jobs.noteFailure(tenantId, jobId, errorCode(error), message).catch(() => undefined);
      throw error;
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

  private async run(
    request: ResolvedRequest,
    askedGroups: string[] | undefined,
    job: JobRecord,
    document: DocumentRecord | null,
  ): Promise<PipelineOutcome> {
    try {
      this.checkSubmitter(askedGroups, job, document);
      return await this.index(request, document);
    } catch (error) {
      if (error instanceof Rejection) return this.reject(request, error);
      throw error;
    }
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

  private async index(request: ResolvedRequest, existing: DocumentRecord | null): Promise<PipelineOutcome> {
    const { embedder, scanner } = this.deps;
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
    const parsed = this.parse(request.text, request.contentType);
    const contentSha256 = sha256Hex(request.text);
    const version = versionId(
      request.tenantId,
      request.documentId,
      fingerprintOf({ ...request, contentSha256, embedderId: embedder.id }),
    );

    if (existing?.currentVersion === version) return this.finishUnchanged(request, existing, contentSha256);

    const verdict = await withSpan('ingestion.policy_scan', {}, () =>
      scanner.scan({ tenantId: request.tenantId, documentId: request.documentId, text: request.text }),
    );
    if (verdict.decision === 'block') throw new Rejection(RejectionCode.policyBlocked, verdict.reason);
    if (verdict.decision === 'escalate') throw new Rejection(RejectionCode.policyEscalated, verdict.reason);
    // Redacted text is parsed again so that chunk offsets point into the text that was indexed.
    const indexed = verdict.decision === 'redact' ? this.parse(verdict.text, request.contentType) : parsed;

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
    const chunkRecords = await withSpan(
      'ingestion.embed_and_upsert',
      { attributes: { 'keel.chunk_count': chunks.length, 'keel.embedder': embedder.id } },
      () =>
        embedAndUpsert(
          {
            vectors: this.deps.vectors,
            collection: this.deps.collection,
            embedder,
            batchSize: this.deps.embedBatchSize,
          },
          { request, version, parser: indexed.parser, chunks, createdAt: this.now() },
        ),
    );
    this.metrics.chunksWritten(chunkRecords.length);
    await this.removeVersions(request, stale);
    await this.replaceChunkRecords(request, version, chunkRecords);

    const committed = await this.versions.commit(request, version, chunks.length);
    if (!committed) {
      await this.removeVersions(request, [{ version }]);
      await this.deps.records.chunks.deleteMany({ tenantId: request.tenantId, documentId: request.documentId });
      throw new Rejection(RejectionCode.deletedWhileIndexing, 'the document was deleted while it was being indexed');
    }
    return this.finishIndexed(request, {
      version,
      contentSha256,
      chunkCount: chunks.length,
      parser: indexed.parser,
      unchanged: false,
    });
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
    for (const { version } of versions) {
      await this.deps.vectors.deleteWhere(
        this.deps.collection,
        documentChunksFilter(request.tenantId, request.documentId, version),
      );
    }
  }

  private async replaceChunkRecords(request: ResolvedRequest, version: string, records: ChunkRecord[]): Promise<void> {
    const { chunks } = this.deps.records;
    await chunks.deleteMany({
      tenantId: request.tenantId,
      documentId: request.documentId,
      documentVersion: { $ne: version },
    });
    for (const record of records) await chunks.upsert(record);
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
