// The one way text reaches HTML, in the standalone report and in every page of the web UI. Crash
// output is hostile: `<script>`, `"><img onerror=...>`, a `javascript:` URL, terminal escapes and
// bidirectional controls are all normal log content. Pages are written with the `html` template tag:
// every interpolated value is text (control and invisible characters shown as escapes, then the five
// markup characters as entities) unless it is already Html, which only this module and `html` make.
// URLs are only ever built by `href` from our own paths, so no value can choose a scheme.
import { neutralize } from '../sanitize.js';

/** Markup that is safe to emit as it is: made by `html`, `lines` or `href`, never from a string. */
export class Html {
  private constructor(readonly text: string) {}
  /** Only for this module: wraps markup it built or escaped itself. */
  static trusted(text: string): Html {
    return new Html(text);
  }
  toString(): string {
    return this.text;
  }
}

/** What a template may interpolate: text, numbers, Html, nothing, or lists of these. */
export type Part = Html | string | number | null | undefined | false | readonly Part[];

const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value: control characters as escapes, markup characters as entities. */
export function esc(text: string): string {
  return neutralize(text).replace(/[&<>"']/g, (c) => ENTITY[c]!);
}

function partToHtml(p: Part): string {
  if (p instanceof Html) return p.text;
  if (p === null || p === undefined || p === false) return '';
  if (typeof p === 'number') return Number.isFinite(p) ? String(p) : '';
  if (Array.isArray(p)) return (p as readonly Part[]).map(partToHtml).join('');
  return esc(p as string);
}

/** The template tag: the literal parts are ours, every interpolated value is escaped. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => (out += partToHtml(p) + strings[i + 1]!));
  return Html.trusted(out);
}

/** Several parts joined by a separator (itself escaped text). */
export function join(parts: readonly Part[], sep = ''): Html {
  return Html.trusted(parts.map(partToHtml).join(esc(sep)));
}

/** Multi-line text for a <pre>: each line escaped on its own, so real line breaks survive. */
export function lines(text: string | readonly string[]): Html {
  const all = (typeof text === 'string' ? [text] : text).flatMap((t) => t.split('\n'));
  return Html.trusted(all.map(esc).join('\n'));
}

/**
 * A same-origin URL: a path of our own whose segments are percent-encoded, and query parameters
 * (empty ones left out). A value can never become a scheme, a host or another path.
 */
export function href(segments: readonly string[], query: Record<string, string | undefined> = {}): Html {
  const path = `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`)
    .join('&');
  return Html.trusted(esc(q ? `${path}?${q}` : path));
}
