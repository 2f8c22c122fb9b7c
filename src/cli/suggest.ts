// "Did you mean": the known ids closest to what was typed. An id that contains the typed text as a
// whole component (pid_max -> kernel.pid_max) comes first, then a substring, then small typos
// (edit distance up to a quarter of the length, at least 2).

export function closest(typed: string, known: readonly string[], max = 3): string[] {
  const t = typed.toLowerCase();
  const scored: { id: string; score: number }[] = [];
  for (const id of known) {
    const k = id.toLowerCase();
    let score: number | undefined;
    if (k.split(/[.\-_]/).includes(t) || k.endsWith(`.${t}`)) score = 0;
    else if (t.length >= 3 && k.includes(t)) score = 1;
    else {
      const d = editDistance(t, k);
      if (d <= Math.max(2, Math.floor(t.length / 4))) score = 2 + d;
    }
    if (score !== undefined) scored.push({ id, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id))
    .slice(0, max)
    .map((s) => s.id);
}

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
