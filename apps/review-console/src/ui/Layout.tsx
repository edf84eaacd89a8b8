import { type ReactNode, useState } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { useSession } from '../session/SessionContext';
import { HelpDialog } from '../shortcuts/HelpDialog';
import { useShortcuts } from '../shortcuts/useShortcuts';

/** The frame of every signed-in page: skip link, banner with navigation and sign-out, the main landmark. */
export function Layout({ children }: { children: ReactNode }) {
  const { account, hasRole, signOut } = useSession();
  const navigate = useNavigate();
  const [help, setHelp] = useState(false);
  useShortcuts({ '?': () => setHelp(true) });

  async function onSignOut() {
    await signOut().catch(() => undefined);
    navigate('/sign-in', { replace: true });
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="banner">
        <span className="brand">Keel review</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Queues
          </NavLink>
          {hasRole('lead') ? <NavLink to="/lead">Lead</NavLink> : null}
          {hasRole('admin') ? <NavLink to="/admin">Admin</NavLink> : null}
        </nav>
        <span className="who">
          {account?.displayName}
          {account ? <span className="tenant"> · {account.tenantId}</span> : null}
        </span>
        <button type="button" className="quiet" onClick={() => setHelp(true)} aria-keyshortcuts="?">
          Shortcuts
        </button>
        <button type="button" className="quiet" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
      {help ? <HelpDialog onClose={() => setHelp(false)} /> : null}
    </>
  );
}
