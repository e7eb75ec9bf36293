import { useEffect, useState } from 'preact/hooks';
import { request } from './api.js';
import { LineChart } from './chart.jsx';
import { buckets, models as modelNames, parseMetrics, quantile, sum } from './prom.js';

const POLL_MS = 2000, KEEP = 150; // 5 minutes of samples
const WINDOW_S = 60;              // latency percentiles cover the last minute

export function Dashboard() {
  const [samples, setSamples] = useState([]); // [{t, m}] parsed /metrics snapshots, oldest first
  const [log, setLog] = useState([]);
  const [model, setModel] = useState('');
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    const poll = async () => {
      try {
        const [text, recent] = await Promise.all([request('/metrics'), request('/ui/api/requests?limit=50')]);
        if (!live) return;
        setSamples((s) => [...s, { t: Date.now(), m: parseMetrics(text) }].slice(-KEEP));
        setLog(recent.requests);
        setError('');
      } catch (e) {
        if (live) setError('Could not read metrics: ' + e.message);
      }
    };
    poll();
    const t = setInterval(poll, POLL_MS);
    return () => { live = false; clearInterval(t); };
  }, []);

  const latest = samples[samples.length - 1]?.m || {};
  const names = modelNames(latest);
  const series = compute(samples, model);
  return (
    <div class="dashboard">
      <div class="row">
        <label>Model <select id="dash-model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
          <option value="">all models</option>
          {names.map((n) => <option value={n}>{n}</option>)}
        </select></label>
        <span class="muted">Live from this server's /metrics every {POLL_MS / 1000} s; latency percentiles over the last {WINDOW_S} s.</span>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="charts">
        <LineChart title="Output tokens/s" xs={series.xs} series={[{ name: 'tok/s', values: series.tokS }]} />
        <LineChart title="Requests" xs={series.xs} series={[{ name: 'running', values: series.running }, { name: 'waiting', values: series.waiting }]} />
        <LineChart title="KV cache usage" unit="%" xs={series.xs} series={[{ name: 'used', values: series.kv }]} />
        <LineChart title="Prefix-cache hit rate" unit="%" xs={series.xs} series={[{ name: 'hits', values: series.hit }]} />
        <LineChart title="Time to first token" unit="ms" xs={series.xs} series={[{ name: 'p50', values: series.ttft50 }, { name: 'p99', values: series.ttft99 }]} />
        <LineChart title="Inter-token latency" unit="ms" xs={series.xs} series={[{ name: 'p50', values: series.itl50 }, { name: 'p99', values: series.itl99 }]} />
      </div>
      <section class="card">
        <h2>Last requests</h2>
        <div class="table-wrap">
          <table id="request-log">
            <thead><tr><th>Time</th><th>Request</th><th>Model</th><th>Status</th><th>In</th><th>Out</th><th>TTFT ms</th><th>Total ms</th></tr></thead>
            <tbody>
              {log.filter((r) => !model || r.model === model).map((r) => (
                <tr class={r.status >= 400 ? 'bad' : ''}>
                  <td>{new Date(r.time).toLocaleTimeString()}</td><td>{r.method} {r.path}</td><td>{r.model || '–'}</td><td>{r.status}</td>
                  <td>{r.prompt_tokens}</td><td>{r.completion_tokens}</td><td>{r.ttft_ms ?? '–'}</td><td>{r.duration_ms}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

// Turns the snapshots into chart series: rates from counter differences, percentiles from histogram differences.
function compute(samples, model) {
  const out = { xs: [], tokS: [], running: [], waiting: [], kv: [], hit: [], ttft50: [], ttft99: [], itl50: [], itl99: [] };
  const t0 = samples.length ? samples[samples.length - 1].t : 0;
  samples.forEach((s, i) => {
    const prev = samples[i - 1];
    const windowStart = samples.find((w) => w.t >= s.t - WINDOW_S * 1000) || samples[0];
    const before = windowStart === s ? null : windowStart;
    const ago = Math.round((t0 - s.t) / 1000);
    out.xs.push(ago === 0 ? 'now' : `-${ago}s`);
    const dt = prev ? (s.t - prev.t) / 1000 : 0;
    out.tokS.push(prev && dt > 0 ? Math.max(0, sum(s.m, 'hearth:generation_tokens_total', model) - sum(prev.m, 'hearth:generation_tokens_total', model)) / dt : null);
    out.running.push(sum(s.m, 'hearth:num_requests_running', model));
    out.waiting.push(sum(s.m, 'hearth:num_requests_waiting', model));
    const used = sum(s.m, 'hearth:kv_cache_blocks_used', model), total = sum(s.m, 'hearth:kv_cache_blocks_total', model);
    out.kv.push(total > 0 ? (100 * used) / total : null);
    const q = prev ? sum(s.m, 'hearth:prefix_cache_queries_total', model) - sum(prev.m, 'hearth:prefix_cache_queries_total', model) : 0;
    const h = prev ? sum(s.m, 'hearth:prefix_cache_hits_total', model) - sum(prev.m, 'hearth:prefix_cache_hits_total', model) : 0;
    out.hit.push(q > 0 ? (100 * h) / q : null);
    const ms = (v) => (v == null ? null : v * 1000);
    const hist = (name) => [buckets(s.m, name, model), before ? buckets(before.m, name, model) : null];
    const [tNow, tBefore] = hist('hearth:time_to_first_token_seconds');
    const [iNow, iBefore] = hist('hearth:inter_token_latency_seconds');
    out.ttft50.push(ms(quantile(0.5, tNow, tBefore))); out.ttft99.push(ms(quantile(0.99, tNow, tBefore)));
    out.itl50.push(ms(quantile(0.5, iNow, iBefore))); out.itl99.push(ms(quantile(0.99, iNow, iBefore)));
  });
  return out;
}
