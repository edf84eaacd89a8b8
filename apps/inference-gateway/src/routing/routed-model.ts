/**
 * A public model name as a ChatModel: every call (grounded `complete`, `generate`, `stream`) is
 * a routed call over its candidates (route-call.ts), and reports the deployment that answered in
 * `servedBy` and the upstream calls in `attempts`. A stream fails over only until its first
 * event: once something may have reached the client, a failure ends the stream (never a replay
 * on another deployment, which would repeat or contradict what was sent).
 */
import {
  type CallOptions,
  type ChatModel,
  type GenerationEvent,
  type GenerationStream,
  type ModelDescriptor,
  type OpenedStream,
  ProviderError,
  relayOpenedStream,
  type ServedBy,
} from '@keel/models';
import type { BreakerBoard } from './circuit-breaker.js';
import {
  type Candidate,
  countsAgainstEndpoint,
  type RouteCallOptions,
  type RoutedResult,
  routeCall,
} from './route-call.js';
import type { RoutingTable } from './routing-table.js';

export interface RoutedModelInput {
  descriptor: ModelDescriptor;
  table: RoutingTable;
  breakers: BreakerBoard;
  /** A fresh (weighted random) order of candidates for each call. */
  candidates: () => Candidate[];
  /** The adapter's ChatModel of one candidate. */
  modelOf: (candidate: Candidate) => ChatModel;
  /** For tests. */
  hooks?: Omit<RouteCallOptions, 'signal'>;
}

const servedByOf = (candidate: Candidate): ServedBy => ({ provider: candidate.provider.name, model: candidate.model });

export function createRoutedModel(input: RoutedModelInput): ChatModel {
  const { table, breakers } = input;
  const route = <T>(run: (candidate: Candidate, options: CallOptions) => Promise<T>, options?: CallOptions) =>
    routeCall(table, breakers, input.candidates(), run, { ...input.hooks, signal: options?.signal });
  const unsupported = (candidate: Candidate, what: string) =>
    new ProviderError('rejected', candidate.provider.name, `${candidate.model} cannot ${what}`, { status: 400 });

  return {
    descriptor: input.descriptor,
    async complete(request, options) {
      const result = await route(
        (candidate, call) => input.modelOf(candidate).complete({ ...request, model: candidate.model }, call),
        options,
      );
      return { ...result.value, attempts: result.attempts, servedBy: servedByOf(result.servedBy) };
    },
    async generate(request, options) {
      const result = await route((candidate, call) => {
        const model = input.modelOf(candidate);
        if (!model.generate) throw unsupported(candidate, 'generate');
        return model.generate({ ...request, model: candidate.model }, call);
      }, options);
      return { ...result.value, attempts: result.attempts, servedBy: servedByOf(result.servedBy) };
    },
    stream(request, options): GenerationStream {
      let attempts = 0;
      let servedBy: ServedBy | undefined;
      async function* events(): AsyncGenerator<GenerationEvent> {
        let opened: RoutedResult<OpenedStream>;
        try {
          opened = await route(async (candidate, call) => {
            const model = input.modelOf(candidate);
            if (!model.stream) throw unsupported(candidate, 'stream');
            const iterator = model.stream({ ...request, model: candidate.model }, call)[Symbol.asyncIterator]();
            const first = await iterator.next();
            return { iterator, first };
          }, options);
        } catch (error) {
          if (error instanceof ProviderError) attempts = error.attempts;
          throw error;
        }
        attempts = opened.attempts;
        servedBy = servedByOf(opened.servedBy);
        // A stream that drops after its first byte says as much about the endpoint as one that never starts.
        yield* relayOpenedStream(opened.value, attempts, (error) => {
          if (table.breaker && countsAgainstEndpoint(error)) {
            const granted = breakers.of(opened.servedBy.provider.endpoint).acquire(table.breaker);
            if (!('retryInMs' in granted)) granted.failure();
          }
        });
      }
      const generator = events();
      return {
        get attempts() {
          return attempts;
        },
        get servedBy() {
          return servedBy;
        },
        [Symbol.asyncIterator]: () => generator,
      };
    },
  };
}
