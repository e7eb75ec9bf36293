import { useState } from 'preact/hooks';
import { streamJson } from './api.js';
import { LineChart, short } from './chart.jsx';
import { useModels } from './useModels.js';

export function Bench() {
  const { models } = useModels(10000);
  const [form, setForm] = useState({ url: '', api_key: '', model: '', concurrency: '1,4,16', requests: 16, input_len: 32, output_len: 32 });
  const [progress, setProgress] = useState([]);
  const [report, setReport] = useState(null);
  const [error, setError] = useState('');
  const [running, setRunning] = useState(false);
  const model = form.model || models[0]?.name || '';
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });

  const run = async (e) => {
    e.preventDefault();
    setError(''); setReport(null); setProgress([]); setRunning(true);
    const levels = form.concurrency.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
    try {
      await streamJson('/ui/api/bench', {
        model, concurrency: levels, requests: Number(form.requests), input_len: Number(form.input_len), output_len: Number(form.output_len),
        ...(form.url.trim() ? { url: form.url.trim(), api_key: form.api_key || undefined } : {}),
      }, (ev) => {
        if (ev.event === 'report') setReport(ev.report);
        else setProgress((p) => [...p, ev]);
      });
    } catch (err) { setError(err.message); } finally { setRunning(false); }
  };
  const open = async (e) => {
    const file = e.currentTarget.files[0];
    e.currentTarget.value = '';
    if (!file) return;
    try {
      const r = JSON.parse(await file.text());
      if (!Array.isArray(r.targets)) throw new Error('not a hearth bench JSON report (no "targets")');
      setError(''); setReport(r);
    } catch (err) { setError('Could not open the report: ' + err.message); }
  };

  return (
    <div class="bench">
      <section class="card">
        <h2>Concurrency sweep</h2>
        <form class="grid-form" onSubmit={run}>
          <label>Server URL <input placeholder="this server" value={form.url} onInput={set('url')} /></label>
          {form.url.trim() && <label>API key for that server <input type="password" value={form.api_key} onInput={set('api_key')} /></label>}
          <label>Model {form.url.trim()
            ? <input value={form.model} onInput={set('model')} />
            : <select id="bench-model" value={model} onChange={set('model')}>{models.map((m) => <option value={m.name}>{m.name}</option>)}</select>}</label>
          <label>Concurrency <input id="bench-levels" value={form.concurrency} onInput={set('concurrency')} /></label>
          <label>Requests per level <input type="number" min="1" max="512" value={form.requests} onInput={set('requests')} /></label>
          <label>Input tokens <input type="number" min="1" value={form.input_len} onInput={set('input_len')} /></label>
          <label>Output tokens <input type="number" min="1" value={form.output_len} onInput={set('output_len')} /></label>
          <div class="row">
            <button class="primary" id="bench-run" disabled={running || !model}>{running ? 'Running…' : 'Run'}</button>
            <label class="button">Open a JSON report<input type="file" accept=".json,application/json" hidden onChange={open} /></label>
          </div>
        </form>
        {progress.length > 0 && running && <p class="muted" role="status">{describe(progress[progress.length - 1])}</p>}
        {error && <p class="error" role="alert">{error}</p>}
      </section>
      {report && <Report report={report} />}
    </div>
  );
}

function describe(ev) {
  if (ev.event === 'warmup') return 'Warming up…';
  if (ev.event === 'level_started') return `Concurrency ${ev.level}: ${ev.requests} requests…`;
  return `Concurrency ${ev.level} done: ${ev.completed} completed, ${short(ev.output_throughput)} output tok/s`;
}

function Report({ report }) {
  const targets = report.targets;
  const xs = (targets[0]?.levels || []).map((l) => String(l.level));
  const per = (f) => targets.map((t) => ({ name: t.label, values: t.levels.map(f) }));
  return (
    <section class="card" id="bench-report">
      <h2>Report</h2>
      <p class="muted small">{new Date(report.started_utc).toLocaleString()} · {report.workload}</p>
      {targets.filter((t) => t.warmup_error).map((t) => <p class="error">{t.label}: {t.warmup_error}</p>)}
      <div class="charts">
        <LineChart title="Output throughput" unit="tok/s" xLabel="concurrency" xs={xs} series={per((l) => l.output_throughput)} />
        <LineChart title="TTFT median / p99" unit="ms" xLabel="concurrency" xs={xs}
          series={targets.flatMap((t) => [{ name: t.label + ' p50', values: t.levels.map((l) => l.ttft_ms.median) }, { name: t.label + ' p99', values: t.levels.map((l) => l.ttft_ms.p99) }])} />
        <LineChart title="Time per output token (mean)" unit="ms" xLabel="concurrency" xs={xs} series={per((l) => l.tpot_ms.mean)} />
      </div>
      <div class="table-wrap">
        <table>
          <thead><tr><th>Server</th><th>Concurrency</th><th>Done</th><th>Failed</th><th>Req/s</th><th>Out tok/s</th><th>TTFT p50</th><th>TTFT p99</th><th>TPOT</th><th>ITL p99</th></tr></thead>
          <tbody>
            {targets.flatMap((t) => t.levels.map((l) => (
              <tr><td>{t.label}</td><td>{l.level}</td><td>{l.completed}</td><td>{l.failed}</td><td>{short(l.request_throughput)}</td><td>{short(l.output_throughput)}</td>
                <td>{short(l.ttft_ms.median)}</td><td>{short(l.ttft_ms.p99)}</td><td>{short(l.tpot_ms.mean)}</td><td>{short(l.itl_ms.p99)}</td></tr>
            )))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
