// Exits per day, stacked by cause, as an SVG drawn on the server: no script, no external asset, so
// the chart shows with JavaScript off and under a policy that forbids inline script. Every label
// from the data goes through the escaping template; colours come from a fixed palette by rank.
import { DAY_MS } from '../../store/stats.js';
import type { DayCount } from '../../store/types.js';
import { html, type Html } from '../../report/page/escape.js';

const PALETTE = [
  '#b42318',
  '#1d4ed8',
  '#c2410c',
  '#15803d',
  '#7e22ce',
  '#0e7490',
  '#a16207',
  '#be185d',
  '#4d7c0f',
];
const OTHER = '#94a3b8';
/** The series of the causes without a colour of their own (no cause id holds a NUL). */
const REST = '\u0000rest';
/** Causes with their own colour; the rest are summed as "other". */
const MAX_SERIES = PALETTE.length;

const W = 1000;
const H = 200;
const PAD = { left: 40, right: 8, top: 8, bottom: 22 };

const causeName = (c: string): string => (c === '' ? 'none recognized' : c);

export function dayChart(counts: readonly DayCount[], window: { from: number; to: number }): Html {
  const first = Math.floor(window.from / DAY_MS);
  const last = Math.floor((window.to - 1) / DAY_MS);
  const days = Math.max(1, last - first + 1);
  const totals = new Map<string, number>();
  for (const c of counts) totals.set(c.cause, (totals.get(c.cause) ?? 0) + c.count);
  if (totals.size === 0) return html`<p class="muted">No exits in this window.</p>`;
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const named = ranked.slice(0, ranked.length > MAX_SERIES ? MAX_SERIES - 1 : MAX_SERIES).map(([c]) => c);
  const colour = (c: string) => (named.includes(c) ? PALETTE[named.indexOf(c)]! : OTHER);
  const series = (c: string) => (named.includes(c) ? c : REST);
  // day index → series → count
  const grid = new Map<number, Map<string, number>>();
  for (const c of counts) {
    const d = Math.round(Date.parse(`${c.day}T00:00:00Z`) / DAY_MS) - first;
    if (d < 0 || d >= days) continue;
    const row = grid.get(d) ?? new Map<string, number>();
    row.set(series(c.cause), (row.get(series(c.cause)) ?? 0) + c.count);
    grid.set(d, row);
  }
  const max = Math.max(1, ...[...grid.values()].map((r) => [...r.values()].reduce((a, b) => a + b, 0)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / days;
  const barW = Math.max(1, step * 0.8);
  const bars: Html[] = [];
  for (const [d, row] of grid) {
    let y = PAD.top + plotH;
    const dayName = new Date((first + d) * DAY_MS).toISOString().slice(0, 10);
    for (const s of [...named, REST]) {
      const n = row.get(s);
      if (!n) continue;
      const h = (n / max) * plotH;
      y -= h;
      bars.push(
        html`<rect
          x="${(PAD.left + d * step).toFixed(1)}"
          y="${y.toFixed(1)}"
          width="${barW.toFixed(1)}"
          height="${Math.max(h, 0.5).toFixed(1)}"
          fill="${colour(s)}"
          ><title>${dayName} ${s === REST ? 'other causes' : causeName(s)}: ${n}</title></rect
        >`,
      );
    }
  }
  const label = (d: number) => new Date((first + d) * DAY_MS).toISOString().slice(0, 10);
  const ticks = [...new Set([0, Math.floor((days - 1) / 2), days - 1])].map(
    (d) =>
      html`<text
        class="axis"
        x="${(PAD.left + d * step + (d === 0 ? 0 : d === days - 1 ? barW : barW / 2)).toFixed(1)}"
        y="${H - 6}"
        text-anchor="${d === 0 ? 'start' : d === days - 1 ? 'end' : 'middle'}"
        >${label(d)}</text
      >`,
  );
  const yTicks = [...new Set([0, Math.round(max / 2), max])].map(
    (v) =>
      html`<text
          class="axis"
          x="${PAD.left - 6}"
          y="${(PAD.top + plotH - (v / max) * plotH + 4).toFixed(1)}"
          text-anchor="end"
          >${v}</text
        ><line
          x1="${PAD.left}"
          x2="${W - PAD.right}"
          y1="${(PAD.top + plotH - (v / max) * plotH).toFixed(1)}"
          y2="${(PAD.top + plotH - (v / max) * plotH).toFixed(1)}"
          stroke="#e5e7eb"
        ></line>`,
  );
  const otherTotal = ranked.filter(([c]) => !named.includes(c)).reduce((a, [, n]) => a + n, 0);
  const legend = [
    ...named.map((c) => [causeName(c), colour(c), totals.get(c)!] as const),
    ...(otherTotal ? [['other causes', OTHER, otherTotal] as const] : []),
  ].map(
    ([c, fill, n]) =>
      html`<li>
        <svg width="10" height="10" aria-hidden="true">
          <rect width="10" height="10" fill="${fill}"></rect>
        </svg>
        <code>${c}</code> ${n}
      </li>`,
  );
  return html`<figure class="chart">
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Exits per day by cause">${yTicks}${bars}${ticks}</svg>
    <figcaption>
      <ul class="legend">
        ${legend}
      </ul>
    </figcaption>
  </figure>`;
}
