import { NavLink, Route, Routes } from 'react-router';
import { useApi, useSession } from '../session/SessionContext';
import '../lead/lead.css';
import { AccountsAdmin } from './AccountsAdmin';
import { QueuesAdmin } from './QueuesAdmin';

/** The admin's screens (role admin): the tenant's accounts and queues. */
export function AdminRoutes() {
  const api = useApi();
  const { account } = useSession();
  return (
    <div className="admin">
      <h1>Admin</h1>
      <nav aria-label="Admin" className="subnav">
        <NavLink to="/admin" end>
          Accounts
        </NavLink>
        <NavLink to="/admin/queues">Queues</NavLink>
      </nav>
      <Routes>
        <Route index element={<AccountsAdmin api={api} {...(account ? { currentAccountId: account.id } : {})} />} />
        <Route path="queues" element={<QueuesAdmin api={api} />} />
      </Routes>
    </div>
  );
}
