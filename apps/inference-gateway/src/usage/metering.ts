/**
 * Metering of one request, from admission to settlement:
 *  - `admit` (before anything runs): counts the request against the tenant's and the key's
 *    requests/tokens per minute; then (after a response-cache lookup, as a hit costs nothing)
 *    `reserve` sets an upper bound of its cost aside in their budgets; either refusal is a 429
 *    with the rate-limit headers;
 *  - `complete` (when `keel.inference.completed.v1` is published for it: every request that reached
 *    a model or the cache publishes exactly one): prices the usage, returns the event with its
 *    cost, currency, cache hit and key id, and (off the response's path) settles the budgets and
 *    the token counts at the actual figures and writes the ledger entry;
 *  - `abandon` (when the response closes unsettled: refused by policy, invalid, failed before the
 *    model): gives the reservations back.
 * The request's context travels in an AsyncLocalStorage, so the use cases publishing the event need
 * not know about money; a completion without a context (gRPC `Answer`, internal callers) is priced
 * and recorded, with nothing to settle.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChatUsage } from '@keel/models';
import { type KeelError, type Logger, type Principal, rateLimited } from '@keel/platform';
import { countTokens } from '@keel/text';
import type { InferenceCompletedPayload } from '../answering/completion-event.js';
import type { BudgetReservation, Budgets } from '../tenancy/budgets.js';
import type { LimitSettings, Limits, Scope } from '../tenancy/limit-settings.js';
import { type Admission, type RateLimiter, type RateLimitState, rateLimitHeaders } from '../tenancy/rate-limiter.js';
import { type Cost, formatAmount, type PriceTable } from './price-table.js';
import type { UsageEntry, UsageLedger } from './usage-ledger.js';

/** What the gateway knows of a request before running it. */
export interface MeteredRequest {
  principal: Principal;
  endpoint: string;
  model: string;
  /** The prompt's text as sent (all messages), counted only when a token limit or budget needs it. */
  promptText: () => string;
  /** Tokens the prompt may gain that are not in its text yet (retrieved passages). */
  promptAllowance: number;
  maxOutputTokens: number | undefined;
}

export interface MeteringContext {
  tenantId: string;
  apiKeyId: string;
  model: string;
  promptTokens: () => number;
  admission?: Admission['ticket'];
  reservation?: BudgetReservation;
  rateLimits: RateLimitState;
  cacheHit: boolean;
  /** Set once the request is recorded. */
  cost?: Cost;
  usage?: ChatUsage;
  /** The completion was recorded (priced, settled, in the ledger). */
  settled: boolean;
  /** Its reservations were given back before a completion was recorded. */
  released?: boolean;
  scopes?: { scope: Scope; limits: Limits }[];
}

const storage = new AsyncLocalStorage<MeteringContext>();

/** The metering context of the request being handled, if any. */
export const currentMetering = (): MeteringContext | undefined => storage.getStore();

export function runMetered<T>(context: MeteringContext, run: () => T): T {
  return storage.run(context, run);
}

/** `0.000123 USD`: the `x-keel-cost` header's value. */
export const costHeaderValue = (cost: Cost) => `${formatAmount(cost.nanos)} ${cost.currency}`;

/** The `cost` object a stream's finish chunk carries (headers are gone by then). */
export function costFieldsOf(context: MeteringContext | undefined): {
  cost?: { amount: number; currency: string; priced: boolean };
} {
  const cost = context?.cost;
  return cost
    ? { cost: { amount: Number(formatAmount(cost.nanos)), currency: cost.currency, priced: cost.priced } }
    : {};
}

export interface MeteringDeps {
  prices: PriceTable;
  limits: LimitSettings;
  rateLimiter: RateLimiter;
  budgets: Budgets;
  ledger: UsageLedger;
  logger: Logger;
  /** The output bound of a request that sets no `max_tokens` (default 4096). */
  defaultMaxOutputTokens?: number;
  now?: () => number;
}

export type Metering = ReturnType<typeof createMetering>;

export class LimitRefusal extends Error {
  constructor(
    readonly error: KeelError,
    readonly headers: Record<string, string>,
  ) {
    super(error.message);
  }
}

const counted = (limits: Limits) => limits.tokensPerMinute !== null;
const limitedAtAll = (limits: Limits) => limits.requestsPerMinute !== null || limits.tokensPerMinute !== null;

/** The stable id a request's key is known by in limits, the ledger and events. */
export const apiKeyIdOf = (principal: Principal) => principal.keyId ?? principal.subject;

export function createMetering(deps: MeteringDeps) {
  const now = deps.now ?? Date.now;
  const defaultMaxOutput = deps.defaultMaxOutputTokens ?? 4096;
  const inFlight = new Set<Promise<void>>();

  async function admit(request: MeteredRequest): Promise<MeteringContext> {
    const { principal } = request;
    const apiKeyId = apiKeyIdOf(principal);
    let promptTokens: number | undefined;
    const context: MeteringContext = {
      tenantId: principal.tenantId,
      apiKeyId,
      model: request.model,
      promptTokens: () => {
        promptTokens ??= countTokens(request.promptText()) + request.promptAllowance;
        return promptTokens;
      },
      rateLimits: {},
      cacheHit: false,
      settled: false,
    };
    const scopes: { scope: Scope; limits: Limits }[] = [
      {
        scope: { kind: 'tenant', tenantId: principal.tenantId },
        limits: await deps.limits.effective({ kind: 'tenant', tenantId: principal.tenantId }),
      },
      {
        scope: { kind: 'key', keyId: apiKeyId },
        limits: await deps.limits.effective({ kind: 'key', keyId: apiKeyId }),
      },
    ];
    const at = now();
    if (scopes.some(({ limits }) => limitedAtAll(limits))) {
      const estimate = scopes.some(({ limits }) => counted(limits)) ? context.promptTokens() : 0;
      const admission = await deps.rateLimiter.admit(scopes, estimate, at);
      context.rateLimits = admission.state;
      if (!admission.admitted) {
        const refused = admission.refusedBy;
        const who = refused?.scope.kind === 'key' ? 'this API key' : 'this tenant';
        throw new LimitRefusal(
          rateLimited(
            `Rate limit reached for ${who}: ${refused?.what === 'tokens' ? 'tokens' : 'requests'} per minute. Retry after the reset.`,
            'LIMIT.RATE_EXCEEDED',
          ),
          {
            ...rateLimitHeaders(admission.state),
            'retry-after': String(Math.max(1, Math.ceil((admission.retryAfterMs ?? 1000) / 1000))),
          },
        );
      }
      context.admission = admission.ticket;
    }
    context.scopes = scopes;
    return context;
  }

  /** The second step of admission (after a cache lookup, since a hit costs nothing): the budgets. */
  async function reserve(context: MeteringContext, request: MeteredRequest, requestId: string): Promise<void> {
    const at = now();
    const budgetScopes = (context.scopes ?? []).flatMap(({ scope, limits }) =>
      limits.budget ? [{ scope, budget: limits.budget }] : [],
    );
    if (budgetScopes.length > 0) {
      const bound = deps.prices.maxCostOf(
        request.model,
        context.promptTokens(),
        request.maxOutputTokens ?? defaultMaxOutput,
      );
      const outcome = await deps.budgets.reserve(requestId, budgetScopes, bound.nanos, at);
      if ('refused' in outcome) {
        await abandon(context);
        const { refused } = outcome;
        const who = refused.scope.kind === 'key' ? 'this API key' : 'this tenant';
        throw new LimitRefusal(
          rateLimited(
            `The ${refused.budget.period === 'day' ? 'daily' : 'monthly'} budget of ${who} (${refused.budget.amount} ${deps.prices.currency}) ` +
              `cannot cover this request (up to ${formatAmount(bound.nanos)} ${deps.prices.currency}; spent ${refused.spent}, reserved ${refused.reserved}).`,
            'LIMIT.BUDGET_EXCEEDED',
          ),
          {
            ...rateLimitHeaders(context.rateLimits),
            'retry-after': String(Math.max(1, Math.ceil((refused.resetsAt - at) / 1000))),
          },
        );
      }
      context.reservation = outcome.reservation;
    }
  }

  /**
   * Frees what an unsettled request holds (its budget reservations, its estimated tokens). A
   * completion recorded afterwards is still charged in full (its reservation is gone, so its cost
   * goes straight to spent). Never throws.
   */
  async function abandon(context: MeteringContext): Promise<void> {
    if (context.settled || context.released) return;
    context.released = true;
    const ticket = context.admission;
    const reservedTokens = ticket?.reservedTokens ?? 0;
    if (ticket) ticket.reservedTokens = 0;
    await Promise.all([
      context.reservation ? deps.budgets.settle(context.reservation, 0) : undefined,
      ticket ? deps.rateLimiter.settle({ ...ticket, reservedTokens }, 0) : undefined,
    ]).catch((error: unknown) =>
      deps.logger.error({ err: error, tenant_id: context.tenantId }, 'releasing a budget reservation failed'),
    );
  }

  /**
   * A stream the client cancelled (or that was cut) may report no usage: the provider's final chunk
   * never came. It is then settled on what was produced: the prompt as counted at admission and the
   * text sent so far.
   */
  function usageOf(payload: InferenceCompletedPayload, context: MeteringContext | undefined): ChatUsage {
    const reported = payload.usage;
    const usage: ChatUsage = {
      promptTokens: reported?.promptTokens ?? 0,
      completionTokens: reported?.completionTokens ?? 0,
      ...(reported?.cachedTokens === undefined ? {} : { cachedTokens: reported.cachedTokens }),
      ...(reported?.reasoningTokens === undefined ? {} : { reasoningTokens: reported.reasoningTokens }),
    };
    const cut = payload.errorCode !== undefined && payload.errorCode !== '';
    if (cut && usage.completionTokens === 0 && payload.answer.length > 0)
      usage.completionTokens = countTokens(payload.answer);
    if (cut && usage.promptTokens === 0 && usage.completionTokens > 0 && context)
      usage.promptTokens = context.promptTokens();
    return usage;
  }

  async function complete(payload: InferenceCompletedPayload): Promise<InferenceCompletedPayload> {
    const context = storage.getStore();
    const usage = usageOf(payload, context);
    const cacheHit = context?.cacheHit ?? false;
    const priced = deps.prices.costOf(payload.model, usage);
    const cost: Cost = cacheHit ? { ...priced, nanos: 0 } : priced;
    const apiKeyId = context?.apiKeyId ?? payload.subject;
    const completedAt = payload.completedAt ?? new Date(now());
    const entry: UsageEntry = {
      id: payload.requestId,
      tenantId: payload.tenantId,
      apiKeyId,
      model: payload.model,
      provider: payload.provider,
      endpoint: payload.endpoint,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cachedTokens: usage.cachedTokens ?? 0,
      reasoningTokens: usage.reasoningTokens ?? 0,
      costNanos: cost.nanos,
      currency: cost.currency,
      priced: cost.priced,
      cacheHit,
      status: payload.errorCode || 'ok',
      streamed: payload.streamed ?? false,
      day: completedAt.toISOString().slice(0, 10),
      at: completedAt.getTime(),
    };
    const settlements: (() => Promise<void>)[] = [];
    if (context && !context.settled) {
      context.settled = true;
      context.cost = cost;
      context.usage = usage;
      const { reservation, admission } = context;
      if (reservation) settlements.push(() => deps.budgets.settle(reservation, cost.nanos));
      if (admission) {
        const used = cacheHit ? 0 : usage.promptTokens + usage.completionTokens;
        settlements.push(() => deps.rateLimiter.settle(admission, used));
      }
    }
    // Off the response's path: the reservation holds the budget until its settlement lands, so
    // nothing can be overspent meanwhile; a failure of the usage store is logged loudly and never
    // costs the caller the answer. The writes start on the next turn of the event loop, after the
    // response has been written (the embedded store is synchronous: started now, they would run
    // before it). `flush` waits for what is in flight (at shutdown).
    const recorded = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => Promise.allSettled([deps.ledger.record(entry), ...settlements.map((settle) => settle())]))
      .then((outcomes) => {
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            deps.logger.error(
              { err: outcome.reason, request_id: payload.requestId, tenant_id: payload.tenantId },
              'recording usage failed',
            );
          }
        }
      });
    inFlight.add(recorded);
    void recorded.finally(() => inFlight.delete(recorded));
    const amount = Number(formatAmount(cost.nanos));
    return {
      ...payload,
      usage: {
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        totalTokens: usage.promptTokens + usage.completionTokens,
        costUsd: cost.currency === 'USD' ? amount : 0,
        ...(usage.cachedTokens === undefined ? {} : { cachedTokens: usage.cachedTokens }),
        ...(usage.reasoningTokens === undefined ? {} : { reasoningTokens: usage.reasoningTokens }),
      },
      cost: amount,
      currency: cost.currency,
      priced: cost.priced,
      cacheHit,
      apiKeyId: context?.apiKeyId ?? '',
    };
  }

  /**
   * Waits until every settlement and ledger write started so far has landed, then writes what the
   * leases settled in memory and gives back their unused slices, so the store holds every figure.
   */
  async function flush(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    await Promise.all([deps.budgets.releaseLeases(), deps.rateLimiter.releaseLeases()]);
  }

  return { admit, reserve, abandon, complete, flush, currency: () => deps.prices.currency };
}
