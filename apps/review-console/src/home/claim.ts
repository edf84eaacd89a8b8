import { useCallback, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import type { ReviewItem } from '../api/types';
import { useApi } from '../session/SessionContext';
import { useAnnounce } from '../ui/Status';

/** Where "Claim next" looks: one queue or all of the reviewer's queues. */
export interface ClaimScope {
  queueId?: string;
  queueName?: string;
}

/** What the item screen is handed when it opens a freshly claimed item (no second request for it). */
export interface ItemLocationState {
  item?: ReviewItem;
  scope?: ClaimScope;
  /** When the item was handed over: history keeps state across reloads, and an old item is stale. */
  handedAt?: number;
}

/** How long a handed-over item stands in for GET /v1/reviews/:id. */
export const HANDED_ITEM_FRESH_MS = 10_000;

export function handedItem(state: ItemLocationState | null, id: string, now = Date.now()): ReviewItem | undefined {
  if (!state?.item || state.item.id !== id) return undefined;
  return state.handedAt !== undefined && now - state.handedAt < HANDED_ITEM_FRESH_MS ? state.item : undefined;
}

/** What the home screen is handed when the reviewer comes back to it. */
export interface HomeLocationState {
  empty?: ClaimScope;
}

export const emptyMessage = (scope: ClaimScope | undefined) =>
  scope?.queueName ? `Nothing is due in ${scope.queueName} right now.` : 'Nothing is due in your queues right now.';

/** Claims the next due item of a scope and opens it, or reports the queue empty. */
export function useClaimNext() {
  const api = useApi();
  const navigate = useNavigate();
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const claimNext = useCallback(
    async (scope: ClaimScope = {}, options: { replace?: boolean } = {}): Promise<ReviewItem | null> => {
      setBusy(true);
      setError(null);
      try {
        const item = scope.queueId ? await api.claimNextInQueue(scope.queueId) : await api.claimNext();
        if (item) {
          const state: ItemLocationState = { item, scope, handedAt: Date.now() };
          navigate(`/items/${encodeURIComponent(item.id)}`, { state, replace: options.replace ?? false });
        } else {
          const state: HomeLocationState = { empty: scope };
          announce(emptyMessage(scope));
          navigate('/', { state, replace: options.replace ?? false });
        }
        return item;
      } catch (failure) {
        const message = failure instanceof ApiError ? failure.message : 'The review service cannot be reached.';
        setError(`Could not claim: ${message}`);
        return null;
      } finally {
        setBusy(false);
      }
    },
    [api, navigate, announce],
  );

  return { claimNext, busy, error };
}
