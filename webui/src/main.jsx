import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { auth, request } from './api.js';
import { Chat } from './chat.jsx';
import { Models } from './models.jsx';
import { Dashboard } from './dashboard.jsx';
import { Bench } from './bench.jsx';
import './style.css';

const PAGES = { chat: ['Chat', Chat], models: ['Models', Models], dashboard: ['Dashboard', Dashboard], bench: ['Bench', Bench] };
const pageFromHash = () => (location.hash.replace(/^#\/?/, '') in PAGES ? location.hash.replace(/^#\/?/, '') : 'chat');

function App() {
  const [page, setPage] = useState(pageFromHash());
  const [needKey, setNeedKey] = useState(null); // null: unknown yet; '': no key needed; text: why a key is needed
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    auth.onUnauthorized((message) => setNeedKey(message || 'This server needs an API key.'));
    // Probe once: with keys on, /api/version answers 401 and the key prompt opens before anything else.
    request('/api/version').then(() => setNeedKey(''), () => {});
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (needKey) return <KeyPrompt reason={needKey} onDone={() => setNeedKey('')} />;
  if (needKey === null) return <div class="boot muted">Connecting…</div>;
  const Page = PAGES[page][1];
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/chat"><img src="/ui/favicon.svg" alt="Hearth" width="22" height="22" /><span>Hearth</span></a>
        <nav>
          {Object.entries(PAGES).map(([id, [label]]) => (
            <a href={'#/' + id} class={id === page ? 'active' : ''} aria-current={id === page ? 'page' : undefined}>{label}</a>
          ))}
        </nav>
        {auth.get() && <button class="link" onClick={() => { auth.set(''); location.reload(); }}>Forget key</button>}
      </header>
      <main class={'page page-' + page}><Page /></main>
    </div>
  );
}

function KeyPrompt({ reason, onDone }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(auth.get() ? reason : '');
  const submit = async (e) => {
    e.preventDefault();
    auth.set(key.trim());
    try {
      await request('/api/version');
      onDone();
    } catch (err) {
      auth.set('');
      setError(err.message);
    }
  };
  return (
    <div class="keygate">
      <form class="card" onSubmit={submit}>
        <h1><img src="/ui/favicon.svg" alt="" width="28" height="28" /> Hearth</h1>
        <p>This server requires an API key. It is sent as <code>Authorization: Bearer …</code> and kept in this tab's session storage only.</p>
        <label>API key <input id="api-key" type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} autofocus /></label>
        {error && <p class="error" role="alert">{error}</p>}
        <button class="primary" type="submit" disabled={!key.trim()}>Continue</button>
      </form>
    </div>
  );
}

render(<App />, document.getElementById('app'));
