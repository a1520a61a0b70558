import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, session } from './api.js';

/** Who the token belongs to (GET /v1/whoami). */
export interface Me {
  readonly name: string;
  readonly role: 'viewer' | 'analyst' | 'engineer' | 'admin';
}

/** The app shell: login until a token works, then the page the hash names. */
export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (session.token()) void api.get<Me>('/v1/whoami').then(setMe, () => session.clear());
  }, []);
  if (!me) return <Login onLogin={setMe} error={error} setError={setError} />;
  return (
    <main>
      <h1>ade</h1>
      <p>
        Signed in as {me.name} ({me.role})
      </p>
    </main>
  );
}

function Login(props: { onLogin: (me: Me) => void; error: string | null; setError: (e: string | null) => void }) {
  const [token, setToken] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    session.set(token.trim());
    try {
      props.onLogin(await api.get<Me>('/v1/whoami'));
      props.setError(null);
    } catch (err) {
      session.clear();
      props.setError(err instanceof ApiError ? `${err.message}${err.hint ? ` — ${err.hint}` : ''}` : String(err));
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>ade</h1>
      <label for="token">API token</label>
      <input id="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
      {props.error && <p role="alert">{props.error}</p>}
    </form>
  );
}
