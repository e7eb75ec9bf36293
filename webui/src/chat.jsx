import { useEffect, useRef, useState } from 'preact/hooks';
import { request, readLines } from './api.js';
import { renderMarkdown } from './markdown.js';
import { exportConversations, loadConversations, newConversation, parseImport, saveConversations } from './conversations.js';
import { useModels } from './useModels.js';

export function Chat() {
  const { models, error: modelsError } = useModels();
  const [convs, setConvs] = useState(() => { const l = loadConversations(); return l.length ? l : [newConversation()]; });
  const [currentId, setCurrentId] = useState(convs[0].id);
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState(-1);
  const abort = useRef(null);
  const bottom = useRef(null);
  const conv = convs.find((c) => c.id === currentId) || convs[0];
  const model = conv.model || models[0]?.name || '';

  useEffect(() => saveConversations(convs), [convs]);
  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [conv.messages]);

  const update = (id, f) => setConvs((list) => list.map((c) => (c.id === id ? { ...f(c), updated: Date.now() } : c)));
  const setSetting = (k, v) => update(conv.id, (c) => ({ ...c, settings: { ...c.settings, [k]: v } }));

  async function send(messages) {
    const id = conv.id;
    const s = conv.settings;
    setError('');
    setBusy(true);
    const history = [...messages, { role: 'assistant', content: '', pending: true }];
    update(id, (c) => ({ ...c, model, messages: history, title: c.messages.length ? c.title : messages[0].content.slice(0, 40) }));
    const controller = new AbortController();
    abort.current = controller;
    const body = {
      model, stream: true, stream_options: { include_usage: true },
      messages: [...(s.system.trim() ? [{ role: 'system', content: s.system }] : []), ...messages.map(({ role, content }) => ({ role, content }))],
      temperature: Number(s.temperature), top_p: Number(s.top_p), max_tokens: Number(s.max_tokens),
      ...(String(s.seed).trim() !== '' ? { seed: Number(s.seed) } : {}),
    };
    const started = performance.now();
    let first = 0, text = '', chunks = 0, usage = null, finish = null;
    const show = (extra) => update(id, (c) => ({ ...c, messages: [...messages, { role: 'assistant', content: text, ...extra }] }));
    try {
      const res = await request('/v1/chat/completions', { method: 'POST', body, signal: controller.signal, raw: true });
      await readLines(res, (line) => {
        if (!line.startsWith('data:')) return;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message || String(chunk.error));
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finish = choice.finish_reason;
        const delta = choice?.delta?.content;
        if (delta) {
          if (!first) first = performance.now();
          text += delta;
          chunks++;
          show({ pending: true });
        }
      });
      show({ stats: stats(started, first, performance.now(), usage?.completion_tokens ?? chunks, finish) });
    } catch (e) {
      const stopped = e.name === 'AbortError';
      show({ stats: stats(started, first, performance.now(), chunks, stopped ? 'stopped' : 'error') });
      if (!stopped) setError(e.message);
    } finally {
      abort.current = null;
      setBusy(false);
    }
  }

  const submit = (e) => {
    e.preventDefault();
    if (!input.trim() || busy || !model) return;
    const base = editing >= 0 ? conv.messages.slice(0, editing) : conv.messages;
    send([...base, { role: 'user', content: input }]);
    setInput('');
    setEditing(-1);
  };
  const regenerate = () => {
    const msgs = conv.messages;
    const lastUser = msgs.map((m) => m.role).lastIndexOf('user');
    if (lastUser >= 0 && !busy) send(msgs.slice(0, lastUser + 1));
  };
  const edit = (i) => { setEditing(i); setInput(conv.messages[i].content); };
  const newChat = () => { const c = newConversation(model); setConvs((l) => [c, ...l]); setCurrentId(c.id); setEditing(-1); };
  const remove = (id) => setConvs((l) => { const rest = l.filter((c) => c.id !== id); const next = rest.length ? rest : [newConversation(model)]; if (id === currentId) setCurrentId(next[0].id); return next; });
  const importFile = async (e) => {
    const file = e.currentTarget.files[0];
    e.currentTarget.value = '';
    if (!file) return;
    try {
      const imported = parseImport(await file.text());
      setConvs((l) => [...imported, ...l.filter((c) => !imported.some((i) => i.id === c.id))]);
      setCurrentId(imported[0].id);
    } catch (err) { setError('Import failed: ' + err.message); }
  };

  const last = conv.messages[conv.messages.length - 1];
  return (
    <div class="chat">
      <aside class="sidebar">
        <button class="primary" onClick={newChat}>New chat</button>
        <ul class="convs">
          {convs.map((c) => (
            <li class={c.id === conv.id ? 'active' : ''}>
              <button class="link title" onClick={() => { setCurrentId(c.id); setEditing(-1); }}>{c.title}</button>
              <button class="link x" title="Delete conversation" aria-label="Delete conversation" onClick={() => remove(c.id)}>×</button>
            </li>
          ))}
        </ul>
        <div class="row">
          <button onClick={() => exportConversations(convs)}>Export</button>
          <label class="button">Import<input type="file" accept="application/json,.json" hidden onChange={importFile} /></label>
        </div>
      </aside>
      <section class="conversation">
        <div class="messages" aria-live="polite">
          {conv.messages.length === 0 && <p class="muted hint">Ask {model || 'a model'} something. Replies stream in as they are generated.</p>}
          {conv.messages.map((m, i) => (
            <article class={'msg ' + m.role + (m.pending ? ' pending' : '')} data-role={m.role}>
              {m.role === 'assistant'
                ? <div class="md" dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content) + (m.pending ? '<span class="cursor"></span>' : '') }} />
                : <div class="plain">{m.content}</div>}
              <footer>
                {m.stats && <span class="stats">{m.stats}</span>}
                {m.role === 'user' && !busy && <button class="link" onClick={() => edit(i)}>Edit</button>}
                {m === last && m.role === 'assistant' && !busy && <button class="link" onClick={regenerate}>Regenerate</button>}
              </footer>
            </article>
          ))}
          <div ref={bottom} />
        </div>
        {(error || modelsError) && <p class="error" role="alert">{error || modelsError}</p>}
        <form class="composer" onSubmit={submit}>
          {editing >= 0 && <div class="editing">Editing message {editing + 1}: sending replaces it and everything after. <button type="button" class="link" onClick={() => { setEditing(-1); setInput(''); }}>Cancel</button></div>}
          <textarea id="prompt" rows="3" placeholder="Message (Enter to send, Shift+Enter for a new line)" value={input}
            onInput={(e) => setInput(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) submit(e); }} />
          {busy
            ? <button type="button" class="danger" id="stop" onClick={() => abort.current?.abort()}>Stop</button>
            : <button type="submit" class="primary" id="send" disabled={!input.trim() || !model}>Send</button>}
        </form>
      </section>
      <aside class="settings">
        <label>Model
          <select id="model" value={model} onChange={(e) => update(conv.id, (c) => ({ ...c, model: e.currentTarget.value }))}>
            {models.map((m) => <option value={m.name}>{m.name}{m.loaded ? ' ●' : ''}</option>)}
          </select>
        </label>
        <label>System prompt<textarea rows="4" value={conv.settings.system} onInput={(e) => setSetting('system', e.currentTarget.value)} /></label>
        <Num label="Temperature" k="temperature" v={conv.settings.temperature} set={setSetting} min="0" max="2" step="0.05" />
        <Num label="Top-p" k="top_p" v={conv.settings.top_p} set={setSetting} min="0.01" max="1" step="0.01" />
        <label>Max tokens<input id="max-tokens" type="number" min="1" max="32768" value={conv.settings.max_tokens} onInput={(e) => setSetting('max_tokens', e.currentTarget.value)} /></label>
        <label>Seed<input type="number" placeholder="random" value={conv.settings.seed} onInput={(e) => setSetting('seed', e.currentTarget.value)} /></label>
      </aside>
    </div>
  );
}

function Num({ label, k, v, set, ...range }) {
  return (
    <label>{label} <output>{v}</output>
      <input type="range" value={v} {...range} onInput={(e) => set(k, e.currentTarget.value)} />
    </label>
  );
}

function stats(started, first, end, tokens, finish) {
  const parts = [];
  if (first) {
    parts.push(`TTFT ${Math.round(first - started)} ms`);
    const gen = (end - first) / 1000;
    if (tokens > 1 && gen > 0) parts.push(`${((tokens - 1) / gen).toFixed(1)} tok/s`);
  }
  parts.push(`${tokens} tokens`);
  if (finish) parts.push(finish);
  return parts.join(' · ');
}
