// Where an over-long line may be cut so that no secret straddles the cut: the redactor sees each
// piece on its own, so a cut inside `password=hunter2`, inside a token, or between `Bearer` and its
// token would let both halves through. The cut goes at whitespace whose left side does not announce
// a value (no `=`, `:`, flag, or auth scheme just before it) and whose right side is not a value
// being continued; failing that, at any whitespace; failing that (one token longer than the search
// window, which no credential is), at the limit.

/** How far before the limit a safe cut is looked for. */
const WINDOW = 64 * 1024;
/** What, just before a space, says the next word is a value. */
const ANNOUNCES =
  /(?:[=:,]|[=:][ \t]{0,8}\\{0,4}["'][^"'\n]*|%3[DdAa]|\b(?:bearer|basic|token|digest|authorization|negotiate)|(?:^|\s)--?[A-Za-z][\w.-]*)\s*$/i;

export function safeCut(s: string, limit: number): number {
  const floor = Math.max(1, limit - WINDOW);
  let anySpace = -1;
  for (let i = limit; i >= floor; i--) {
    const c = s.charCodeAt(i - 1);
    if (c !== 0x20 && c !== 0x09) continue;
    if (anySpace === -1) anySpace = i;
    const before = s.slice(Math.max(0, i - 64), i);
    if (!ANNOUNCES.test(before)) return i;
  }
  return anySpace !== -1 ? anySpace : limit;
}
