// How deep the flow collections ([ and {) of a YAML or JSON text go, counted outside quoted strings.
// Why: the yaml parser's cost grows far faster than the input with nesting (a 4 MiB `[[[[...]]]]`
// pod spec took 2.2 GB and 13 s); a real pod spec nests about ten levels, so a text nested deeper
// than MAX_SPEC_NESTING is not parsed at all.
export const MAX_SPEC_NESTING = 64;

/** True when the text's flow collections nest deeper than `limit` (stops at the first proof). */
export function nestsDeeperThan(text: string, limit = MAX_SPEC_NESTING): boolean {
  let depth = 0;
  let quote = 0; // the code of the open quote (" or '), 0 outside strings
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 0x5c && quote === 0x22)
        i++; // a backslash escape inside "..."
      else if (c === quote || (quote === 0x27 && c === 0x0a)) quote = 0; // a stray ' ends at the line
      continue;
    }
    if (c === 0x22) quote = c;
    else if (c === 0x27 && i > 0 && /[\s[{,:]/.test(text[i - 1]!))
      quote = c; // 'it's' in plain text is not a quote
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return false;
}
