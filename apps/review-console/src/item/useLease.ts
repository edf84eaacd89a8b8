/**
 * Keeps the reviewer's lease on the open item: renewed every third of its length (a claim by the
 * holder renews), released when the reviewer leaves the item (another route, sign-out, closing the
 * tab). Leaving by deciding, skipping or releasing has already ended the lease: `heldRef` says so
 * before the component goes, so nothing is released twice.
 */
import { type MutableRefObject, useEffect, useRef } from 'react';
import { ApiError } from '../api/client';
import type { ReviewItem } from '../api/types';
import { useSession } from '../session/SessionContext';

/** The default lease of human-review (LEASE_SECONDS) when an item does not say when its lease ends. */
export const FALLBACK_LEASE_MS = 300_000;
const MIN_RENEW_MS = 5_000;

/** How long the lease that `item` carries lasts from now. */
export function leaseMsOf(item: ReviewItem, now = Date.now()): number {
  const expires = item.leaseExpiresAt ? Date.parse(item.leaseExpiresAt) : Number.NaN;
  return Number.isFinite(expires) && expires > now ? expires - now : FALLBACK_LEASE_MS;
}

export function renewIntervalMs(leaseMs: number): number {
  return Math.max(MIN_RENEW_MS, Math.floor(leaseMs / 3));
}

interface LeaseOptions {
  itemId: string;
  held: boolean;
  heldRef: MutableRefObject<boolean>;
  leaseMs: number;
  /** The lease could not be renewed (someone else holds the item now, or it was decided). */
  onLost: (error: ApiError) => void;
}

export function useLease({ itemId, held, heldRef, leaseMs, onLost }: LeaseOptions): void {
  const { api, beforeSignOut } = useSession();
  const lost = useRef(onLost);
  lost.current = onLost;
  // Set when leaving released the lease; only React's StrictMode re-mounts after that (development).
  const releasedOnLeave = useRef(false);

  // Renewal, while the lease is held.
  useEffect(() => {
    if (!held) return;
    const renew = setInterval(() => {
      api.claim(itemId).catch((error: unknown) => {
        // A network blip is retried at the next tick; a refusal means the lease is gone.
        if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
          heldRef.current = false;
          lost.current(error);
        }
      });
    }, renewIntervalMs(leaseMs));
    return () => clearInterval(renew);
  }, [api, itemId, held, heldRef, leaseMs]);

  // Release on leaving: another route (unmount), sign-out, the tab closing. Not tied to `held`, so
  // that deciding (which ends the lease) or a new lease length never counts as leaving.
  useEffect(() => {
    if (releasedOnLeave.current) {
      releasedOnLeave.current = false;
      heldRef.current = true;
      api.claim(itemId).catch(() => undefined);
    }
    const onPageHide = () => {
      if (heldRef.current) api.releaseOnUnload(itemId);
    };
    // Back from the browser's page cache: the lease was released on the way out, take it again.
    const onPageShow = (event: PageTransitionEvent) => {
      if (event.persisted && heldRef.current) api.claim(itemId).catch(() => undefined);
    };
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', onPageShow);
    const unregister = beforeSignOut(() => {
      if (!heldRef.current) return undefined;
      heldRef.current = false;
      return api.release(itemId).catch(() => undefined);
    });
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('pageshow', onPageShow);
      unregister();
      if (heldRef.current && api.hasSession) {
        heldRef.current = false;
        releasedOnLeave.current = true;
        api.release(itemId).catch(() => undefined);
      }
    };
  }, [api, beforeSignOut, itemId, heldRef]);
}
