/**
 * Calls the chat model inside a CLIENT span with the OpenTelemetry GenAI semantic conventions
 * (`gen_ai.*` attributes) and records the conventional token-usage and duration histograms.
 */
import type { ChatModel, ChatRequest, ChatResponse } from '@keel/models';
import { getMeter, withSpan } from '@keel/platform';

export type ModelCaller = (model: ChatModel, request: ChatRequest) => Promise<ChatResponse>;

/** Instruments are created here, at wiring time, after telemetry has installed its meter provider. */
export function createModelCaller(): ModelCaller {
  const meter = getMeter();
  const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Tokens used per model call',
    unit: '{token}',
  });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'Duration of model calls',
    unit: 's',
  });

  return (model, request) => {
    const { id, provider } = model.descriptor;
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
        const response = await model.complete(request);
        duration.record((performance.now() - startedAt) / 1000, attributes);
        tokenUsage.record(response.usage.promptTokens, { ...attributes, 'gen_ai.token.type': 'input' });
        tokenUsage.record(response.usage.completionTokens, { ...attributes, 'gen_ai.token.type': 'output' });
        span.setAttributes({
          'gen_ai.response.model': id,
          'gen_ai.response.finish_reasons': [response.finishReason],
          'gen_ai.usage.input_tokens': response.usage.promptTokens,
          'gen_ai.usage.output_tokens': response.usage.completionTokens,
        });
        return response;
      },
    );
  };
}
