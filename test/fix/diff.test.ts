// The unified diff `podmortem fix` prints is checked with the real tools: GNU patch applies it and
// gives the new file, on edits of every shape (seeded, so a failure repeats), and on simple edits it
// is what `diff -u` prints.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/fix/diff.js';
import { describeNeeding } from '../prerequisites.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small seeded generator (LCG): the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function edit(lines: string[], r: () => number): string[] {
  const out = [...lines];
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (out.length + 1));
    const what = r();
    if (what < 0.4) out.splice(at, 0, `added ${i} ${Math.floor(r() * 100)}`);
    else if (what < 0.7 && out.length > 0) out.splice(Math.min(at, out.length - 1), 1);
    else if (out.length > 0) out[Math.min(at, out.length - 1)] = `changed ${i}`;
  }
  return out;
}

function patchGives(before: string, diff: string): string {
  const file = join(dir, 'f');
  writeFileSync(file, before);
  writeFileSync(join(dir, 'd'), diff);
  const r = spawnSync('patch', ['-s', '-p1', '-d', dir, '-i', join(dir, 'd')], { encoding: 'utf8' });
  expect(r.status, `${r.stdout}${r.stderr}\n${diff}`).toBe(0);
  return readFileSync(file, 'utf8');
}

describeNeeding('unifiedDiff', ['patch'], () => {
  it('is applied by patch(1) to give the new text, for 200 seeded edits', () => {
    const r = rng(42);
    for (let c = 0; c < 200; c++) {
      const base = Array.from(
        { length: Math.floor(r() * 30) },
        (_, i) => `line ${i} ${i % 3 === 0 ? 'x' : 'y'}`,
      );
      const changed = edit(base, r);
      const before = base.length > 0 ? `${base.join('\n')}\n` : '';
      const after = changed.length > 0 ? `${changed.join('\n')}\n` : '';
      if (before === after) {
        expect(unifiedDiff('/f', before, after)).toBe('');
        continue;
      }
      expect(patchGives(before, unifiedDiff('/f', before, after))).toBe(after);
    }
  });

  it('prints what diff -u prints for an insertion and a replacement', () => {
    const before = Array.from({ length: 12 }, (_, i) => `k${i}: ${i}`).join('\n') + '\n';
    const after = before.replace('k2: 2\n', 'k2: 2\nnew: 1\n').replace('k10: 10', 'k10: 11');
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    const gnu = spawnSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' }).stdout;
    const ours = unifiedDiff('/x', before, after);
    // Headers differ (names and times); the hunks are the same.
    expect(ours.split('\n').slice(2)).toEqual(gnu.split('\n').slice(2));
  });

  it('shows a new file against /dev/null, and a last line without its newline as diff does', () => {
    expect(unifiedDiff('/etc/sysctl.d/90-x.conf', null, 'a = 1\n')).toBe(
      '--- /dev/null\n+++ b/etc/sysctl.d/90-x.conf\n@@ -0,0 +1 @@\n+a = 1\n',
    );
    const d = unifiedDiff('/f', 'a\nb', 'a\nb\nc\n');
    expect(d).toContain('-b\n\\ No newline at end of file\n+b\n+c\n');
    expect(patchGives('a\nb', d)).toBe('a\nb\nc\n');
  });
});

describeNeeding('unifiedDiff on files that are not alike', ['patch'], () => {
  it('replaces the whole file past 2000 differences, still a diff patch(1) applies', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `old ${i}`).join('\n') + '\n';
    const after = Array.from({ length: 3000 }, (_, i) => `new ${i}`).join('\n') + '\n';
    const d = unifiedDiff('/f', before, after);
    expect(d.split('\n').filter((l) => l.startsWith('-old')).length).toBe(3000);
    expect(patchGives(before, d)).toBe(after);
  });
});
