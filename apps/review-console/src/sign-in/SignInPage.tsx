import { type FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useSession } from '../session/SessionContext';

function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong username or password.';
    if (error.status === 400) return 'Enter a username and a password.';
    return `Sign-in failed (${error.status}). Try again in a moment.`;
  }
  return 'The review service cannot be reached. Try again in a moment.';
}

export function SignInPage() {
  const { account, loading, signIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!loading && account && !busy) return <Navigate to={from} replace />;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
      navigate(from.startsWith('/sign-in') ? '/' : from, { replace: true });
    } catch (failure) {
      // The password is cleared, the username kept: the usual retry is a mistyped password.
      setPassword('');
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <form className="card sign-in-card" onSubmit={onSubmit} aria-labelledby="sign-in-title" noValidate>
        <h1 id="sign-in-title">Keel review</h1>
        <p className="muted">Sign in to work your review queues.</p>
        <div role="alert" className={error ? 'alert' : 'alert empty'}>
          {error}
        </div>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          maxLength={64}
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={256}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
