/**
 * Who is signed in, for every screen: the account of GET /v1/session, sign-in and sign-out. A 401
 * from any call clears it, and the guard below sends the reviewer to sign-in, back to the page they
 * were on once signed in again.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import type { ApiClient } from '../api/client';
import type { Account, Role } from '../api/types';

interface SessionValue {
  api: ApiClient;
  account: Account | null;
  /** True until GET /v1/session has answered once. */
  loading: boolean;
  signIn(username: string, password: string): Promise<Account>;
  signOut(): Promise<void>;
  /** Work to do before the session ends (an open item releases its lease); returns the unregister. */
  beforeSignOut(hook: () => Promise<unknown> | undefined): () => void;
  hasRole(role: Role): boolean;
}

const SessionContext = createContext<SessionValue | null>(null);

// reviewer ⊂ lead ⊂ admin: a higher role can do everything of the lower ones.
const rank: Record<Role, number> = { reviewer: 1, lead: 2, admin: 3 };

export function SessionProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  const [account, setAccount] = useState<Account | null>(null);
  const [loading, setLoading] = useState(true);
  const hooks = useRef(new Set<() => Promise<unknown> | undefined>());

  useEffect(() => {
    let live = true;
    api
      .currentSession()
      .then((session) => {
        if (live) setAccount(session?.account ?? null);
      })
      .catch(() => {
        if (live) setAccount(null);
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    const stop = api.onUnauthorized(() => setAccount(null));
    return () => {
      live = false;
      stop();
    };
  }, [api]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      const session = await api.signIn(username, password);
      setAccount(session.account);
      return session.account;
    },
    [api],
  );

  const signOut = useCallback(async () => {
    await Promise.allSettled([...hooks.current].map((hook) => hook()));
    try {
      await api.signOut();
    } finally {
      setAccount(null);
    }
  }, [api]);

  const beforeSignOut = useCallback((hook: () => Promise<unknown> | undefined) => {
    hooks.current.add(hook);
    return () => {
      hooks.current.delete(hook);
    };
  }, []);

  const value = useMemo<SessionValue>(
    () => ({
      api,
      account,
      loading,
      signIn,
      signOut,
      beforeSignOut,
      hasRole: (role) => (account ? account.roles.some((held) => rank[held] >= rank[role]) : false),
    }),
    [api, account, loading, signIn, signOut, beforeSignOut],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

export function useApi(): ApiClient {
  return useSession().api;
}

/** Renders its children for a signed-in account, else sends the reviewer to sign-in. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { account, loading } = useSession();
  const location = useLocation();
  if (loading) {
    return (
      <p className="loading" aria-busy="true">
        Loading…
      </p>
    );
  }
  if (!account) return <Navigate to="/sign-in" replace state={{ from: `${location.pathname}${location.search}` }} />;
  return <>{children}</>;
}

/**
 * Renders its children when the signed-in account holds `role`. Inside the signed-in frame, so a
 * reviewer who lands on a lead's page (after another account signed out there) keeps the navigation
 * and the sign-out button.
 */
export function RequireRole({ children, role }: { children: ReactNode; role: Role }) {
  const { hasRole } = useSession();
  if (hasRole(role)) return <>{children}</>;
  return (
    <>
      <h1>Not allowed</h1>
      <p>
        This page needs the {role} role. <Link to="/">Back to the queues</Link>
      </p>
    </>
  );
}
