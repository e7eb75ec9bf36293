// A small SVG line chart: enough for a few series over time or over concurrency levels, drawn without a library.
const COLORS = ['#e8590c', '#1c7ed6', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599'];

export function LineChart({ title, series, xs, unit = '', height = 160, xLabel }) {
  const W = 480, H = height, L = 44, R = 10, T = 10, B = 22;
  const all = series.flatMap((s) => s.values).filter((v) => v != null && isFinite(v));
  const max = niceMax(all.length ? Math.max(...all) : 1);
  const n = xs.length;
  const x = (i) => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const ticks = [0, max / 2, max];
  return (
    <figure class="chart" data-chart={title} data-points={all.length} data-max={all.length ? Math.max(...all) : 0}>
      <figcaption>{title}{unit && <span class="muted"> ({unit})</span>}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        {ticks.map((t) => (
          <g>
            <line class="grid" x1={L} x2={W - R} y1={y(t)} y2={y(t)} />
            <text class="tick" x={L - 4} y={y(t) + 4} text-anchor="end">{short(t)}</text>
          </g>
        ))}
        {n > 0 && <text class="tick" x={L} y={H - 6}>{xs[0]}</text>}
        {n > 1 && <text class="tick" x={W - R} y={H - 6} text-anchor="end">{xs[n - 1]}</text>}
        {xLabel && <text class="tick" x={(W + L) / 2} y={H - 6} text-anchor="middle">{xLabel}</text>}
        {series.map((s, si) => {
          const pts = s.values.map((v, i) => (v == null || !isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
          return (
            <g>
              <polyline class="line" points={pts.join(' ')} stroke={COLORS[si % COLORS.length]} />
              {pts.length <= 12 && pts.map((p) => { const [cx, cy] = p.split(','); return <circle cx={cx} cy={cy} r="3" fill={COLORS[si % COLORS.length]} />; })}
            </g>
          );
        })}
      </svg>
      <div class="legend">
        {series.map((s, si) => (
          <span><i class={`swatch c${si % COLORS.length}`} />{s.name}{s.last !== false && last(s.values) != null && <b> {short(last(s.values))}</b>}</span>
        ))}
      </div>
    </figure>
  );
}

const last = (vs) => { for (let i = vs.length - 1; i >= 0; i--) if (vs[i] != null && isFinite(vs[i])) return vs[i]; return null; };

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export function short(v) {
  if (v == null || !isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2).replace(/\.?0+$/, '') || '0';
}
