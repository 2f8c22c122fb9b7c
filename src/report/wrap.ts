// Wrapping for the terminal: a long sentence continues under its own text, not at column 0, so the
// structure of the report (cause, reason, fix) survives a narrow window. Commands (a fix's, the ones
// that would decide) are never wrapped: a command broken over two lines cannot be pasted.

const ANSI = /\u001b\[[0-9;]*m/g;

const visible = (s: string): number => s.replace(ANSI, '').length;

/** What a continuation aligns after: a marker ("· ", "fix: "...) or a column ("confirmed  ", "node   "). */
const MARKER = /^( *)(· |- |fix: |to decide: |next: |warning: |[\w.-]+ {2,})?/;

/** The terminal's width when stdout is one, 100 otherwise (a file, a pipe, a ticket). */
export function defaultWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 100;
}

export function wrapLine(line: string, width: number): string[] {
  if (visible(line) <= width) return [line];
  const plain = line.replace(ANSI, '');
  if (/^ *(\$ |run first: |to decide: |to decide, run: )/.test(plain)) return [line];
  const m = MARKER.exec(plain)!;
  const indent = ' '.repeat(Math.min(m[0].length + (m[2] ? 0 : 2), Math.floor(width / 2)));
  const out: string[] = [];
  let current: string | undefined;
  // Runs of spaces split into empty words: they stay where they are (the line's own indentation).
  for (const w of line.split(' ')) {
    const next = current === undefined ? w : `${current} ${w}`;
    if (current !== undefined && w !== '' && visible(next) > width && current.replace(ANSI, '').trim()) {
      out.push(current.replace(/ +$/, ''));
      current = indent + w;
    } else current = next;
  }
  out.push(current!);
  return out;
}
