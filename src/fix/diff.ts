// A unified diff of two texts, as `diff -u` and `git diff` print it (3 lines of context), so the
// output of `podmortem fix` can be read as a review and applied with `patch -p1 -d ROOT`. The edit
// script is Myers' O((N+M)D) shortest one: config files are small and the edits few. Its trace
// keeps only the 2d+3 diagonals each step reads (O(D^2) memory), and past MAX_EDITS differences the
// script is "remove every line, add every line": still a correct diff, never an unbounded one.

export type Op = { op: ' ' | '-' | '+'; line: string };

const CONTEXT = 3;
/** Beyond this many differing lines the files are not alike: the whole file is replaced (<= 16 MiB of trace). */
const MAX_EDITS = 2000;
/** Marks the last line of a file that has no final newline (never in a text line: NUL). */
const NO_EOL = '\u0000';

function lines(text: string | null): string[] {
  if (text === null || text === '') return [];
  const ls = text.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  return ls;
}

/** The shortest edit script from a to b (E. Myers, "An O(ND) Difference Algorithm", 1986). */
export function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    if (d > MAX_EDITS)
      return [...a.map((line): Op => ({ op: '-', line })), ...b.map((line): Op => ({ op: '+', line }))];
    // The diagonals -d-1 .. d+1 are all this step reads, and all the walk back needs of it.
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace back from (n, m) to (0, 0); trace[d] holds the furthest points after d - 1 edits.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const at = (k: number) => vd[k + d + 1]!; // diagonal k in the slice kept for step d
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ op: ' ', line: a[x]! });
    }
    if (d === 0) break;
    if (x === prevX) ops.push({ op: '+', line: b[--y]! });
    else ops.push({ op: '-', line: a[--x]! });
  }
  return ops.reverse();
}

function range(start: number, count: number): string {
  // diff -u: an empty range is shown at the line before it ("-0,0" for a new file).
  return count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
}

/**
 * The unified diff of one file: `--- a/<path>` / `+++ b/<path>` with the host path relative to the
 * root, `/dev/null` for a file created. Empty when nothing changes.
 */
export function unifiedDiff(path: string, before: string | null, after: string): string {
  if (before === after) return '';
  const a = lines(before);
  const b = lines(after);
  // A last line without its newline differs from the same text with one (diff marks it).
  const noEol = before !== null && before !== '' && !before.endsWith('\n') ? NO_EOL : '';
  if (noEol) a[a.length - 1] += noEol;
  const ops = editScript(a, b);
  const rel = path.replace(/^\/+/, '');
  const out = [`--- ${before === null ? '/dev/null' : `a/${rel}`}`, `+++ b/${rel}`];
  // Group changes into hunks with CONTEXT lines around them.
  let i = 0;
  let aLine = 1;
  let bLine = 1;
  const pos: { a: number; b: number }[] = [];
  for (const o of ops) {
    pos.push({ a: aLine, b: bLine });
    if (o.op !== '+') aLine++;
    if (o.op !== '-') bLine++;
  }
  while (i < ops.length) {
    if (ops[i]!.op === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    // Extend while the next change is within 2*CONTEXT unchanged lines.
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ') next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) end = next;
      else {
        end = Math.min(ops.length, end + CONTEXT);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.op !== '+').length;
    const bCount = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${range(pos[start]!.a, aCount)} +${range(pos[start]!.b, bCount)} @@`);
    for (const o of hunk)
      out.push(
        o.line.endsWith(NO_EOL) && noEol
          ? `${o.op}${o.line.slice(0, -NO_EOL.length)}\n\\ No newline at end of file`
          : `${o.op}${o.line}`,
      );
    i = end;
  }
  return out.join('\n') + '\n';
}
