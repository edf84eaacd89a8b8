/**
 * `/v1/embeddings` as the gateway records it: every request that reached an embedder, answered or
 * failed, publishes `keel.inference.completed.v1` (operation `embeddings`: the input tokens as
 * `usage.prompt_tokens`, no question, answer or contexts), through the same metered publisher as
 * chat, so it is priced, settled against the limits and budgets and written to the usage ledger.
 * A request refused before any embedder was asked (invalid input, unknown model) publishes
 * nothing: its reservations are given back when the response closes, as chat's are.
 */
import type { EventPublisher } from '@keel/event-bus';
import { isProviderError } from '@keel/models';
import { currentTraceId, isKeelError, type Logger } from '@keel/platform';
import type { InferenceCompletedPayload } from '../answering/completion-event.js';
import { isModelCallError } from '../generation/model-errors.js';
import type { Embeddings, EmbedTexts, EmbedTextsRequest } from './embed-texts.js';

export const embeddingsEndpoint = '/v1/embeddings';

export interface EmbeddingsCaller {
  requestId: string;
  tenantId: string;
  subject: string;
}

export type RecordedEmbedTexts = (request: EmbedTextsRequest, caller: EmbeddingsCaller) => Promise<Embeddings>;

export interface RecordedEmbedTextsDeps {
  embedTexts: EmbedTexts;
  /** The built-in embedder's id: its requests are served in process or by its configured endpoint. */
  builtInModel: string;
  events: Pick<EventPublisher, 'publish'>;
  logger: Logger;
  now?: () => Date;
}

/** The built-in embedder's provider: in process, or the OpenAI-compatible endpoint EMBEDDINGS_URL names. */
export const builtInEmbeddingsProvider = (embedderId: string) =>
  embedderId.startsWith('openai-compatible:') ? 'openai-compatible' : 'embedded';

export function createRecordedEmbedTexts(deps: RecordedEmbedTextsDeps): RecordedEmbedTexts {
  const now = deps.now ?? (() => new Date());

  async function publish(payload: InferenceCompletedPayload): Promise<void> {
    try {
      await deps.events.publish('keel.inference.completed.v1', payload, { idempotencyKey: payload.requestId });
    } catch (error) {
      // The vectors are served either way: a bus that cannot take the event is logged, as chat's.
      deps.logger.error(
        { err: error, request_id: payload.requestId, tenant_id: payload.tenantId },
        'keel.inference.completed.v1 could not be published',
      );
    }
  }

  return async (request, caller) => {
    const startedAt = performance.now();
    const event = (fields: {
      model: string;
      provider: string;
      promptTokens: number;
      attempts: number;
      error?: { code: string; message: string };
    }): InferenceCompletedPayload => ({
      requestId: caller.requestId,
      traceId: currentTraceId() ?? '',
      tenantId: caller.tenantId,
      endpoint: embeddingsEndpoint,
      operation: 'embeddings',
      model: fields.model,
      requestedModel: request.model,
      provider: fields.provider,
      usage: { promptTokens: fields.promptTokens, completionTokens: 0, totalTokens: fields.promptTokens, costUsd: 0 },
      latencyMs: Math.round(performance.now() - startedAt),
      // Inputs are not an exchange: nothing to score, review or show in lineage beyond the figures.
      question: '',
      answer: '',
      contexts: [],
      citations: [],
      policy: [],
      completedAt: now(),
      readRequires: [],
      subject: caller.subject,
      attempts: fields.attempts,
      streamed: false,
      ...(fields.error ? { errorCode: fields.error.code, errorMessage: fields.error.message } : {}),
    });

    let result: Embeddings;
    try {
      result = await deps.embedTexts(request);
    } catch (error) {
      const failed = embedderFailureOf(error, request.model, deps.builtInModel);
      if (failed) await publish(event({ ...failed, promptTokens: 0 }));
      throw error;
    }
    await publish(
      event({
        model: result.servedBy?.model ?? result.model,
        provider: result.servedBy?.provider ?? builtInEmbeddingsProvider(result.model),
        promptTokens: result.promptTokens,
        attempts: result.attempts ?? 1,
      }),
    );
    return result;
  };
}

/**
 * What a failure that reached an embedder records (undefined for one refused before: invalid
 * input, unknown model). A routed model's failure carries the provider's error (after retries and
 * fallbacks); the built-in embedder's is `embedderFailure` (dependency `embedder`).
 */
function embedderFailureOf(
  error: unknown,
  model: string,
  builtInModel: string,
): { model: string; provider: string; attempts: number; error: { code: string; message: string } } | undefined {
  if (isModelCallError(error)) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      model,
      provider: isProviderError(cause) ? cause.provider : 'unknown',
      attempts: error.attempts,
      error: { code: error.code, message: error.message },
    };
  }
  if (isKeelError(error) && error.dependency === 'embedder' && model === builtInModel) {
    return {
      model,
      provider: builtInEmbeddingsProvider(builtInModel),
      attempts: 1,
      // The same codes as a provider's failure, so consumers read one vocabulary.
      error: { code: error.retryable ? 'MODEL.UNREACHABLE' : 'MODEL.UPSTREAM_ERROR', message: error.message },
    };
  }
  return undefined;
}
