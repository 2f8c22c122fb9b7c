// What an attacker would need to survive into a page, looked for in the page's source: a tag or an
// attribute we never write (img, iframe, an on* handler, an inline style), a URL that leaves the site
// or runs script (javascript:, data:, //host), a script other than the served /ui/copy.js, or a raw
// terminal escape or bidirectional control. Escaped text cannot contain "<", so every "<" left in a
// page is markup we wrote, and each must pass.
const TAGS = new Set(
  (
    'html head meta title link script style body header main a span b h1 h2 h3 p form label input select ' +
    'option button section article div pre code ul li details summary dl dt dd table thead tbody tr th td ' +
    'figure figcaption svg rect text line meter'
  ).split(' '),
);
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'srcset']);
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

const decode = (v: string): string =>
  v
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export function markupProblems(page: string): string[] {
  const problems: string[] = [];
  const raw = RAW.exec(page);
  if (raw) problems.push(`raw control character U+${raw[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  const body = page.replace(/^<!doctype html>/i, '');
  for (const m of body.matchAll(/<(\/?)([^\s>/]*)([^>]*)>/g)) {
    const [tag, closing, name, rest] = [m[0], m[1], m[2]!.toLowerCase(), m[3]!];
    if (!TAGS.has(name)) problems.push(`unexpected tag ${tag}`);
    if (closing) continue;
    for (const a of rest.matchAll(/([^\s=]+)(?:="([^"]*)")?/g)) {
      const attr = a[1]!.toLowerCase();
      const value = decode(a[2] ?? '');
      if (attr.startsWith('on')) problems.push(`event handler in ${tag}`);
      if (attr === 'style') problems.push(`inline style in ${tag}`);
      if (a[2] === undefined && !/^(selected|defer|open|hidden|readonly)$/.test(attr) && attr !== '/')
        problems.push(`unquoted attribute ${attr} in ${tag}`);
      if (URL_ATTRS.has(attr) && !/^\/(?!\/)/.test(value)) problems.push(`foreign URL ${value} in ${tag}`);
    }
    if (name === 'script' && !/^ src="\/ui\/copy\.js" defer$/.test(rest)) problems.push(`script ${tag}`);
  }
  for (const m of body.matchAll(/<script[^>]*>([^<]*)<\/script>/g))
    if (m[1]!.trim()) problems.push('inline script');
  return problems;
}
