// A crashed program's output is untrusted: a right-to-left override (U+202E) or an isolate can make
// a line read as something else ("errno=11" from "errno=1" plus reordered text), zero-width
// characters hide text, and U+2028 breaks a line where no newline is. Every human format shows them
// as escapes; JSON keeps the exact text (its consumers are programs).
import { describe, expect, it } from 'vitest';
import { ensureBuilt, podmortem } from '../cli/helpers.js';

ensureBuilt();

const RLO = '\u202e';
const ZWSP = '\u200b';
const LSEP = '\u2028';
const LINE = `runtime: failed to create new OS thread (have 41 already; errno=11) ${RLO}1=onrre${ZWSP} hidden${LSEP}break\n`;

describe('bidirectional and invisible characters in a crash line', () => {
  for (const format of ['text', 'markdown', 'html']) {
    it(`${format}: shown escaped, never raw`, () => {
      const r = podmortem(['analyze', '-', '--format', format], { input: LINE });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('errno=11');
      for (const c of [RLO, ZWSP, LSEP])
        expect(r.stdout.includes(c), `raw U+${c.charCodeAt(0).toString(16)}`).toBe(false);
      expect(r.stdout).toContain('\\u202e');
      expect(r.stdout).toContain('\\u200b');
      expect(r.stdout).toContain('\\u2028');
    });
  }

  it('json: keeps the exact text', () => {
    const r = podmortem(['analyze', '-', '--format', 'json'], { input: LINE });
    expect(r.status, r.stderr).toBe(0);
    const text = JSON.parse(r.stdout).incidents[0].signatures[0].evidence[0].text as string;
    expect(text).toContain(RLO);
  });
});
