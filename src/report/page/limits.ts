// A node's limits as a table: how much of each is used, the headroom left, a meter, the kernel's peak
// and hit counts, and who holds most of it. The standalone report and the UI's node page share it.
import type { LimitUsage } from '../../evidence/types.js';
import { html, join, type Html } from './escape.js';

const num = (n: number | null | undefined): string =>
  n === null || n === undefined ? '' : n.toLocaleString('en-US');

/** What is left before the limit: a number, "unlimited", or "?" when the usage is unknown. */
export function headroom(l: LimitUsage): string {
  if (l.max === null) return 'unlimited';
  if (l.used === null) return '?';
  return num(Math.max(0, l.max - l.used));
}

function meter(ratio: number | null): Html {
  if (ratio === null) return html``;
  const v = Math.max(0, Math.min(1, ratio));
  return html`<meter min="0" max="1" low="0.7" high="0.9" optimum="0" value="${v}">
    ${(ratio * 100).toFixed(1)}%
  </meter>`;
}

function consumers(l: LimitUsage, all: boolean): Html {
  const top = l.topConsumers ?? [];
  const shown = all ? top : top.slice(0, 1);
  return join(
    shown.map((c) => html`<div>${c.name}: ${num(c.used)}</div>`),
    '',
  );
}

/** Closest to its limit first; `allConsumers` lists every top consumer the reading has (node page). */
export function limitsTable(limits: readonly LimitUsage[], o: { allConsumers?: boolean } = {}): Html {
  const sorted = [...limits].sort((a, b) => (b.ratio ?? -1) - (a.ratio ?? -1));
  const rows = sorted.map(
    (l) =>
      html`<tr>
        <td><code>${l.id}</code></td>
        <td>${l.scope}</td>
        <td class="num">${l.used === null ? '?' : num(l.used)}</td>
        <td class="num">${l.max === null ? 'unlimited' : num(l.max)}</td>
        <td class="num">${l.ratio === null ? '' : `${(l.ratio * 100).toFixed(1)}%`}</td>
        <td>${meter(l.ratio)}</td>
        <td class="num">${headroom(l)}</td>
        <td class="num">${num(l.peak)}</td>
        <td class="num">${num(l.events)}</td>
        <td>${consumers(l, o.allConsumers ?? false)}</td>
      </tr>`,
  );
  return html`<table class="limits">
    <thead>
      <tr>
        <th>limit</th>
        <th>scope</th>
        <th class="num">used</th>
        <th class="num">max</th>
        <th class="num">used %</th>
        <th></th>
        <th class="num">headroom</th>
        <th class="num">peak</th>
        <th class="num">hits</th>
        <th>top consumer</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}
