import { lazy, Suspense } from 'react';
import { Route, Routes, useParams } from 'react-router';
import type { ApiClient } from './api/client';
import { HomePage } from './home/HomePage';
import { ItemPage } from './item/ItemPage';
import { RequireRole, RequireSession, SessionProvider } from './session/SessionContext';
import { SignInPage } from './sign-in/SignInPage';
import { Layout } from './ui/Layout';
import { StatusProvider } from './ui/Status';

// Only leads and admins open these screens: they are separate chunks, fetched on first visit, so a
// reviewer's page load (and every cold open of an item by its URL) parses none of their code.
const LeadRoutes = lazy(() => import('./lead/LeadRoutes').then((module) => ({ default: module.LeadRoutes })));
const AdminRoutes = lazy(() => import('./admin/AdminRoutes').then((module) => ({ default: module.AdminRoutes })));

/** While a screen's chunk arrives: announced as busy, not through the console's one live region. */
export function ScreenLoading({ label }: { label: string }) {
  return (
    <div className="screen-loading" aria-busy="true">
      <progress aria-label={label} />
      <p className="muted">{label}…</p>
    </div>
  );
}

/** One item per mount: moving to the next item starts from a clean page (and its own lease). */
function ItemRoute() {
  const { id = '' } = useParams();
  return <ItemPage key={id} id={id} />;
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to the queues</a>
      </p>
    </>
  );
}

/** The console: sign-in, and behind it the reviewer's screens and the lead's and admin's (C2's). */
export function App({ api }: { api: ApiClient }) {
  const signedIn = (page: React.ReactNode, role?: 'lead' | 'admin') => (
    <RequireSession>
      <Layout>{role ? <RequireRole role={role}>{page}</RequireRole> : page}</Layout>
    </RequireSession>
  );
  return (
    <SessionProvider api={api}>
      <StatusProvider>
        <Routes>
          <Route path="/sign-in" element={<SignInPage />} />
          <Route path="/" element={signedIn(<HomePage />)} />
          <Route path="/items/:id" element={signedIn(<ItemRoute />)} />
          <Route
            path="/lead/*"
            element={signedIn(
              <Suspense fallback={<ScreenLoading label="Loading the lead's screens" />}>
                <LeadRoutes />
              </Suspense>,
              'lead',
            )}
          />
          <Route
            path="/admin/*"
            element={signedIn(
              <Suspense fallback={<ScreenLoading label="Loading the admin's screens" />}>
                <AdminRoutes />
              </Suspense>,
              'admin',
            )}
          />
          <Route path="*" element={signedIn(<NotFound />)} />
        </Routes>
      </StatusProvider>
    </SessionProvider>
  );
}
