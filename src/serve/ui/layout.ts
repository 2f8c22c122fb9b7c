// The frame of every web UI page: the shared stylesheet and the copy script, both served by the
// agent or server itself (/ui/style.css, /ui/copy.js), a top bar, and the page's own body. The
// policy sent with each page (UI_CSP) lets scripts and styles come from this origin only: no inline
// script, no inline style, no plug-in, no frame, forms posting back here only.
import { html, type Html, type Part } from '../../report/page/escape.js';

export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface PageOptions {
  title: string;
  /** "server" (a fleet) or "agent" (one node). */
  role: string;
  body: Part;
}

export const scopeOf = (role: string): string => (role === 'server' ? 'across the fleet' : 'on this node');

export function page(o: PageOptions): string {
  const doc = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title}</title>
        <link rel="stylesheet" href="/ui/style.css" />
        <script src="/ui/copy.js" defer></script>
      </head>
      <body>
        <header class="bar">
          <a class="brand" href="/">podmortem</a><a href="/">incidents</a
          ><span class="role">${o.role === 'server' ? 'fleet server' : 'node agent'}</span>
        </header>
        <main>${o.body}</main>
      </body>
    </html> `;
  return doc.text;
}

/** A page that says one thing: an unknown incident or node, a refused filter, a store that is down. */
export function messagePage(role: string, title: string, sentence: string): string {
  return page({
    title,
    role,
    body: html`<h1>${title}</h1>
      <p>${sentence}</p>
      <p><a href="/">All incidents</a></p>`,
  });
}

/** "2026-11-29 03:00:04 UTC" from RFC 3339 (the input when it is not a time). */
export function when(rfc3339: string | undefined): string {
  if (!rfc3339) return '';
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? rfc3339 : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export type { Html };
