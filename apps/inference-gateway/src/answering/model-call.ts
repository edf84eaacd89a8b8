/**
 * Every model call, grounded (`complete`) or pass-through (`generate`, `stream`), runs inside a
 * CLIENT span `chat <model>` with the OpenTelemetry GenAI semantic conventions (`gen_ai.*`
 * attributes) and records the conventional token-usage and duration histograms.
 */
import type {
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatUsage,
  FinishReason,
  ModelDescriptor,
  ServedBy,
} from '@keel/models';
import { getMeter, withSpan } from '@keel/platform';

export interface ModelCallOutcome {
  usage: ChatUsage;
  finishReason?: FinishReason | undefined;
  /** A routed model: the deployment that answered (its model is `gen_ai.response.model`). */
  servedBy?: ServedBy | undefined;
  /** Attempts the adapter made (retries included), when it reports them. */
  attempts?: number;
}

export type ObserveModelCall = <T>(
  descriptor: ModelDescriptor,
  run: () => Promise<T>,
  outcome: (result: T) => ModelCallOutcome,
  request?: { maxTokens?: number | undefined },
) => Promise<T>;

/** Instruments are created here, at wiring time, after telemetry has installed its meter provider. */
export function createModelCallObserver(): ObserveModelCall {
  const meter = getMeter();
  const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Tokens used per model call',
    unit: '{token}',
  });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'Duration of model calls',
    unit: 's',
  });

  return (descriptor, run, outcome, request = {}) => {
    const { id, provider } = descriptor;
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': id,
    };
    return withSpan(
      `chat ${id}`,
      {
        kind: 'client',
        attributes: request.maxTokens ? { ...attributes, 'gen_ai.request.max_tokens': request.maxTokens } : attributes,
      },
      async (span) => {
        const startedAt = performance.now();
        const result = await run();
        const { usage, finishReason, attempts, servedBy } = outcome(result);
        duration.record((performance.now() - startedAt) / 1000, attributes);
        tokenUsage.record(usage.promptTokens, { ...attributes, 'gen_ai.token.type': 'input' });
        tokenUsage.record(usage.completionTokens, { ...attributes, 'gen_ai.token.type': 'output' });
        span.setAttributes({
          'gen_ai.response.model': servedBy?.model ?? id,
          ...(servedBy ? { 'keel.model.served_by_provider': servedBy.provider } : {}),
          'gen_ai.usage.input_tokens': usage.promptTokens,
          'gen_ai.usage.output_tokens': usage.completionTokens,
          ...(finishReason ? { 'gen_ai.response.finish_reasons': [finishReason] } : {}),
          ...(attempts === undefined ? {} : { 'keel.model.attempts': attempts }),
        });
        return result;
      },
    );
  };
}

export type ModelCaller = (model: ChatModel, request: ChatRequest) => Promise<ChatResponse>;

/** The grounded call of `/v1/answers`: `complete`, observed. */
export function createModelCaller(observe: ObserveModelCall = createModelCallObserver()): ModelCaller {
  return (model, request) =>
    observe(
      model.descriptor,
      () => model.complete(request),
      (response) => ({ usage: response.usage, finishReason: response.finishReason, servedBy: response.servedBy }),
      { maxTokens: request.maxTokens },
    );
}
