import { Route, Routes, useParams } from 'react-router';
import { AdminRoutes } from './admin/AdminRoutes';
import type { ApiClient } from './api/client';
import { HomePage } from './home/HomePage';
import { ItemPage } from './item/ItemPage';
import { LeadRoutes } from './lead/LeadRoutes';
import { RequireRole, RequireSession, SessionProvider } from './session/SessionContext';
import { SignInPage } from './sign-in/SignInPage';
import { Layout } from './ui/Layout';
import { StatusProvider } from './ui/Status';

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
          <Route path="/lead/*" element={signedIn(<LeadRoutes />, 'lead')} />
          <Route path="/admin/*" element={signedIn(<AdminRoutes />, 'admin')} />
          <Route path="*" element={signedIn(<NotFound />)} />
        </Routes>
      </StatusProvider>
    </SessionProvider>
  );
}
