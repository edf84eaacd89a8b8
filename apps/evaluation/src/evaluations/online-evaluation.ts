/**
 * The online path's parts beyond scoring, built from the configuration: per-tenant sampling and
 * its counters, the drift tracker (its collections in the document store) and the optional LLM
 * judge. The scoring consumer and the stats route take them from here.
 */
import type { DocumentStore } from '@keel/doc-store';
import type { EventPublisher } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import type { DriftConfig } from '../drift/drift-config.js';
import {
  DRIFT_SAMPLES_COLLECTION,
  DRIFT_STATES_COLLECTION,
  type DriftSample,
  type DriftState,
  driftSamplesCollectionOptions,
} from '../drift/drift-state.js';
import { DriftTracker } from '../drift/drift-tracker.js';
import { loadJudgePrompt } from '../judge/judge-prompt.js';
import { type Judge, LlmJudge } from '../judge/llm-judge.js';
import type { SampleRates } from '../sampling/sample-rates.js';
import { SamplingCounters } from '../sampling/sampling-counters.js';
import type { OnlineConfig } from './online-config.js';

export interface OnlineEvaluation {
  sampling: SampleRates;
  counters: SamplingCounters;
  drift?: DriftTracker;
  driftConfig?: DriftConfig;
  judge?: Judge;
}

export async function composeOnlineEvaluation(
  store: DocumentStore,
  deps: { publisher: Pick<EventPublisher, 'publish'>; logger: Logger; now: () => number },
  config: OnlineConfig,
): Promise<OnlineEvaluation> {
  const online: OnlineEvaluation = { sampling: config.sampling, counters: new SamplingCounters(deps.now) };
  if (config.drift) {
    const states = await store.collection<DriftState>(DRIFT_STATES_COLLECTION);
    const samples = await store.collection<DriftSample>(DRIFT_SAMPLES_COLLECTION, driftSamplesCollectionOptions);
    online.drift = new DriftTracker({ states, samples, config: config.drift, ...deps });
    online.driftConfig = config.drift;
  }
  if (config.judge) {
    const { model, gatewayUrl, apiKey, samples, retries, timeoutMs } = config.judge;
    online.judge = new LlmJudge({
      model,
      gatewayUrl,
      apiKey,
      samples,
      retries,
      timeoutMs,
      prompt: loadJudgePrompt(),
      logger: deps.logger,
    });
    deps.logger.info({ model, gatewayUrl, promptVersion: online.judge.promptVersion }, 'LLM judge on');
  }
  return online;
}
