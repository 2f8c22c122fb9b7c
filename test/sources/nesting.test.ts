// A 4 MiB pod spec nested two million levels deep once took 2.2 GB and 13 s in the yaml parser
// (issue 11). Under a 256 MiB heap that run dies; now the text is not parsed as a spec at all.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/sources/nesting.js';
import { podsFromText } from '../../src/sources/logs/pod-specs.js';
import { podmortem } from '../cli/helpers.js';

const EX = 'examples/calico-node-newosproc';

describe('deeply nested specs', () => {
  it('a real pod spec is not "too deep"; brackets inside strings do not count', () => {
    expect(nestsDeeperThan('{"a": {"b": [1, [2, {"c": 3}]]}}', 5)).toBe(false);
    expect(nestsDeeperThan('{"a": {"b": [1, [2, {"c": 3}]]}}', 4)).toBe(true);
    expect(nestsDeeperThan('{"a": "' + '['.repeat(1000) + '"}', 4)).toBe(false);
    expect(nestsDeeperThan("a: '" + '{'.repeat(1000) + "'\n", 4)).toBe(false);
    expect(nestsDeeperThan('{"a": ' + '['.repeat(6) + ']'.repeat(6) + '}', 4)).toBe(true);
  });

  it('a pod nested past the limit is not read as a pod, and a normal one still is', () => {
    const deep = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","annotations":{"a":${'['.repeat(100)}${']'.repeat(100)}}},"spec":{"containers":[{"name":"c"}]}}`;
    expect(podsFromText(deep, 'deep.json')).toEqual([]);
    const plain = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c"}]}}`;
    expect(podsFromText(plain, 'plain.json')).toHaveLength(1);
  });

  it('analyze with a 4 MiB nested "pod spec" beside the log stays within a 256 MiB heap and keeps the verdict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-nested-'));
    const d = 2_000_000;
    const nested = join(dir, 'nested.json');
    writeFileSync(
      nested,
      `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","annotations":{"a":${'['.repeat(d)}${']'.repeat(d)}}}}`,
    );
    const r = podmortem(
      ['analyze', `${EX}/calico-node.log`, nested, `${EX}/pod.yaml`, '--node-root', `${EX}/node`],
      { env: { NODE_OPTIONS: '--max-old-space-size=256' } },
    );
    expect(r.stderr).not.toMatch(/heap out of memory|internal error/);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'Answer: confirmed kernel.pid_max on kube-system/calico-node-56bgm/calico-node',
    );
  });
});
