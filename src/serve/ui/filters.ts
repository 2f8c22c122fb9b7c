// The incident list's filters as a plain GET form (it works without JavaScript, and every filtered
// view is a URL to paste in a ticket): cluster, namespace, workload, node, cause, verdict and a time
// range (a preset such as the last 24 hours, or since/until in UTC).
import { QueryError, type IncidentQuery } from '../../store/types.js';
import { html, type Html } from '../../report/page/escape.js';

export const TEXT_FILTERS = ['cluster', 'namespace', 'workload', 'node', 'cause'] as const;
export const VERDICTS = ['confirmed', 'likely', 'possible', 'unlikely'] as const;
export const RANGES: Record<string, { label: string; ms: number }> = {
  '1h': { label: 'last hour', ms: 3600_000 },
  '24h': { label: 'last 24 hours', ms: 86_400_000 },
  '7d': { label: 'last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'last 30 days', ms: 30 * 86_400_000 },
  '90d': { label: 'last 90 days', ms: 90 * 86_400_000 },
};

export type Filters = Partial<
  Record<(typeof TEXT_FILTERS)[number] | 'verdict' | 'since' | 'until' | 'range' | 'cursor', string>
>;

const KEYS = [...TEXT_FILTERS, 'verdict', 'since', 'until', 'range', 'cursor'] as const;

/** The filters a URL carries (empty ones left out); a value over 512 characters is a QueryError. */
export function filtersOf(url: URL): Filters {
  const f: Filters = {};
  for (const k of KEYS) {
    const v = url.searchParams.get(k)?.trim();
    if (v === undefined || v === '') continue;
    if (v.length > 512) throw new QueryError(`${k} is too long.`);
    f[k] = v;
  }
  return f;
}

/** A time typed without a zone ("2026-11-29T03:00") is UTC, as the form says. */
function utc(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v;
}

/** The store query of these filters; `range` sets `since` when no since is given. */
export function queryOf(f: Filters, now = Date.now()): IncidentQuery {
  const q: IncidentQuery = {};
  for (const k of TEXT_FILTERS) if (f[k]) q[k] = f[k];
  if (f.verdict) {
    if (!(VERDICTS as readonly string[]).includes(f.verdict))
      throw new QueryError(`verdict must be one of ${VERDICTS.join(', ')}.`);
    q.verdict = f.verdict;
  }
  if (f.range && !RANGES[f.range])
    throw new QueryError(`range must be one of ${Object.keys(RANGES).join(', ')}.`);
  if (f.since) q.since = utc(f.since);
  else if (f.range) q.since = new Date(now - RANGES[f.range]!.ms).toISOString();
  if (f.until) q.until = utc(f.until);
  if (f.cursor) q.cursor = f.cursor;
  return q;
}

function option(value: string, label: string, selected: boolean): Html {
  return html`<option value="${value}" ${selected ? html` selected` : ''}>${label}</option>`;
}

export function filterForm(f: Filters): Html {
  const text = TEXT_FILTERS.map(
    (k) =>
      html`<label>${k}<input type="text" name="${k}" value="${f[k] ?? ''}" autocomplete="off" /></label>`,
  );
  const verdict = html`<label
    >verdict<select name="verdict">
      ${option('', 'any', !f.verdict)}${VERDICTS.map((v) => option(v, v, f.verdict === v))}
    </select></label
  >`;
  const range = html`<label
    >time<select name="range">
      ${option('', 'any time', !f.range)}${Object.entries(RANGES).map(([k, r]) => option(k, r.label, f.range === k))}
    </select></label
  >`;
  const times = html`<label
      >since (UTC)<input
        type="text"
        name="since"
        value="${f.since ?? ''}"
        placeholder="2026-11-29T03:00" /></label
    ><label
      >until (UTC)<input type="text" name="until" value="${f.until ?? ''}" placeholder="2026-11-30"
    /></label>`;
  return html`<form class="filters" method="get" action="/" role="search">
    ${text}${verdict}${range}${times}<button type="submit">Filter</button><a class="reset" href="/">clear</a>
  </form>`;
}
