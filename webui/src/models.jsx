import { useEffect, useState } from 'preact/hooks';
import { formatBytes, request, streamJson } from './api.js';
import { useModels } from './useModels.js';

export function Models() {
  const { models, error, reload } = useModels(3000);
  const [now, setNow] = useState(Date.now());
  const [selected, setSelected] = useState(null);
  const [details, setDetails] = useState(null);
  const [pull, setPull] = useState({ name: '', status: '', total: 0, completed: 0, error: '', running: false });
  const [confirm, setConfirm] = useState(null);
  const [message, setMessage] = useState('');
  const [create, setCreate] = useState({ name: '', modelfile: 'FROM tinystories\nPARAMETER temperature 0.7\nSYSTEM """You are a storyteller."""\n' });

  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(t); }, []);
  useEffect(() => {
    if (!selected) return setDetails(null);
    request('/api/show', { method: 'POST', body: { model: selected } }).then(setDetails, (e) => setDetails({ error: e.message }));
  }, [selected]);

  const act = async (what, f) => {
    setMessage('');
    try { await f(); setMessage(what); reload(); } catch (e) { setMessage('Failed: ' + e.message); }
  };

  const startPull = async (e) => {
    e.preventDefault();
    const name = pull.name.trim();
    if (!name) return;
    setPull({ name, status: 'starting', total: 0, completed: 0, error: '', running: true });
    try {
      await streamJson('/api/pull', { model: name }, (p) =>
        setPull((s) => ({ ...s, status: p.status, total: p.total ?? s.total, completed: p.completed ?? (p.status === 'success' ? s.total : s.completed) })));
      setPull((s) => ({ ...s, running: false, completed: s.total, status: 'success' }));
      reload();
    } catch (err) {
      setPull((s) => ({ ...s, running: false, error: err.message }));
    }
  };
  const pct = pull.total > 0 ? Math.min(100, Math.floor((100 * pull.completed) / pull.total)) : (pull.status === 'success' ? 100 : 0);

  return (
    <div class="models">
      <section class="card">
        <h2>Store</h2>
        {error && <p class="error" role="alert">{error}</p>}
        {message && <p class="note" role="status">{message}</p>}
        <div class="table-wrap">
          <table id="model-table">
            <thead><tr><th>Name</th><th>Size</th><th>Quant</th><th>Family</th><th>Params</th><th>Loaded</th><th></th></tr></thead>
            <tbody>
              {models.map((m) => (
                <tr data-model={m.name} class={m.name === selected ? 'selected' : ''}>
                  <td><button class="link" onClick={() => setSelected(m.name === selected ? null : m.name)}>{m.name}</button></td>
                  <td>{formatBytes(m.size)}</td>
                  <td>{m.details?.quantization_level}</td>
                  <td>{m.details?.family}</td>
                  <td>{m.details?.parameter_size}</td>
                  <td class="keepalive">{m.loaded ? countdown(m.loaded.expires_at, now) : '–'}</td>
                  <td class="actions">
                    {m.loaded
                      ? <button onClick={() => act(`Unloaded ${m.name}`, () => request('/api/generate', { method: 'POST', body: { model: m.name, keep_alive: 0 } }))}>Unload</button>
                      : <button onClick={() => act(`Loaded ${m.name}`, () => request('/api/generate', { method: 'POST', body: { model: m.name, keep_alive: '5m', stream: false } }))}>Load</button>}
                    <button onClick={() => { const to = prompt(`Copy ${m.name} to:`, m.name.replace(/:.*$/, '') + '-copy'); if (to) act(`Copied to ${to}`, () => request('/api/copy', { method: 'POST', body: { source: m.name, destination: to } })); }}>Copy</button>
                    <button class="danger" onClick={() => setConfirm(m.name)}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {details && (
          <div class="details" id="model-details">
            {details.error ? <p class="error">{details.error}</p> : <>
              <h3>{selected}</h3>
              <dl>
                <dt>Family</dt><dd>{details.details?.family || '–'}</dd>
                <dt>Quantisation</dt><dd>{details.details?.quantization_level || '–'}</dd>
                <dt>Parameters</dt><dd>{details.details?.parameter_size || '–'}</dd>
                <dt>Context</dt><dd>{Object.entries(details.model_info || {}).find(([k]) => k.endsWith('.context_length'))?.[1] ?? '–'}</dd>
              </dl>
              <h4>Template</h4><pre class="template">{details.template || '(the GGUF\'s own)'}</pre>
              {details.parameters && <><h4>Parameters</h4><pre>{details.parameters}</pre></>}
            </>}
          </div>
        )}
      </section>

      <section class="card">
        <h2>Pull</h2>
        <form class="row" onSubmit={startPull}>
          <input id="pull-name" placeholder="hf.co/OWNER/REPO:Q4_K_M or https://…/model.gguf" value={pull.name}
            onInput={(e) => setPull({ ...pull, name: e.currentTarget.value })} disabled={pull.running} />
          <button class="primary" id="pull" disabled={pull.running || !pull.name.trim()}>Pull</button>
        </form>
        {(pull.running || pull.status) && (
          <div class="pull-progress">
            <progress id="pull-bar" max="100" value={pct} />
            <span id="pull-percent">{pct} %</span>
            <span class="muted">{pull.status}{pull.total ? ` · ${formatBytes(pull.completed)} / ${formatBytes(pull.total)}` : ''}</span>
          </div>
        )}
        {pull.error && <p class="error" role="alert">{pull.error}</p>}
      </section>

      <section class="card">
        <h2>Create from a Modelfile</h2>
        <form onSubmit={(e) => { e.preventDefault(); act(`Created ${create.name}`, () => request('/api/create', { method: 'POST', body: { model: create.name.trim(), modelfile: create.modelfile } })); }}>
          <input placeholder="new model name" value={create.name} onInput={(e) => setCreate({ ...create, name: e.currentTarget.value })} />
          <textarea rows="5" class="mono" value={create.modelfile} onInput={(e) => setCreate({ ...create, modelfile: e.currentTarget.value })} />
          <button class="primary" disabled={!create.name.trim()}>Create</button>
        </form>
      </section>

      {confirm && (
        <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
          <div class="card">
            <h3 id="confirm-title">Delete {confirm}?</h3>
            <p>This removes the model from the store (and its file, unless another model uses it).</p>
            <div class="row end">
              <button onClick={() => setConfirm(null)}>Cancel</button>
              <button class="danger" id="confirm-delete" onClick={() => { const name = confirm; setConfirm(null); if (name === selected) setSelected(null); act(`Deleted ${name}`, () => request('/api/delete', { method: 'DELETE', body: { model: name } })); }}>Delete</button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}

// "4:59" until expiry; "pinned" for models kept loaded for good (an expiry years away).
function countdown(expiresAt, now) {
  const ms = Date.parse(expiresAt) - now;
  if (!isFinite(ms) || ms > 365 * 24 * 3600 * 1000) return 'pinned';
  if (ms <= 0) return 'unloading';
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
