// Parses the Prometheus text format of /metrics into {name: [{labels, value}]}, and estimates quantiles from the
// difference of two histogram snapshots (the observations that arrived between them), as histogram_quantile does.
export function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const l of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    (out[m[1]] ||= []).push({ labels, value: Number(m[4]) });
  }
  return out;
}

// Sum of a metric's samples whose model_name matches (all models when model is '').
export function sum(metrics, name, model, extra = () => true) {
  return (metrics[name] || []).filter((s) => (!model || s.labels.model_name === model) && extra(s.labels)).reduce((a, s) => a + s.value, 0);
}

export function models(metrics) {
  const set = new Set();
  for (const samples of Object.values(metrics)) for (const s of samples) if (s.labels.model_name) set.add(s.labels.model_name);
  return [...set].sort();
}

// Cumulative buckets [{le, count}] of one histogram for one model (or all models summed).
export function buckets(metrics, name, model) {
  const byLe = new Map();
  for (const s of metrics[name + '_bucket'] || []) {
    if (model && s.labels.model_name !== model) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) || 0) + s.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

// The q-quantile (0..1) of the observations between two bucket snapshots; null when none arrived.
export function quantile(q, now, before) {
  const prev = new Map((before || []).map((b) => [b.le, b.count]));
  const diff = now.map((b) => ({ le: b.le, count: b.count - (prev.get(b.le) || 0) }));
  const total = diff.length ? diff[diff.length - 1].count : 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  let lowerLe = 0, lowerCount = 0;
  for (const b of diff) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return lowerLe + (b.le - lowerLe) * (inBucket > 0 ? (rank - lowerCount) / inBucket : 1);
    }
    lowerLe = b.le; lowerCount = b.count;
  }
  return lowerLe;
}
