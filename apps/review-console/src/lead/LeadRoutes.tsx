import { NavLink, Route, Routes, useSearchParams } from 'react-router';
import { useApi } from '../session/SessionContext';
import { AgreementView } from './AgreementView';
import './lead.css';
import { AuditTrail } from './AuditTrail';
import { LeadItems } from './LeadItems';

function AuditPage() {
  const api = useApi();
  const [params] = useSearchParams();
  return <AuditTrail api={api} initialReviewId={params.get('reviewId') ?? ''} />;
}

/** The lead's screens (role lead or admin): items with bulk actions, agreement per queue, the audit trail. */
export function LeadRoutes() {
  const api = useApi();
  return (
    <div className="lead">
      <h1>Lead</h1>
      <nav aria-label="Lead" className="subnav">
        <NavLink to="/lead" end>
          Items
        </NavLink>
        <NavLink to="/lead/agreement">Agreement</NavLink>
        <NavLink to="/lead/audit">Audit trail</NavLink>
      </nav>
      <Routes>
        <Route index element={<LeadItems api={api} />} />
        <Route path="agreement" element={<AgreementView api={api} />} />
        <Route path="audit" element={<AuditPage />} />
      </Routes>
    </div>
  );
}
