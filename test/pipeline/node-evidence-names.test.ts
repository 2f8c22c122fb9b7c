// --node-evidence and a bundle's node snapshots: the folder read for a node is DIR/<node name>, and
// the name comes from an API server or a bundle. A name that is not a DNS-1123 subdomain (what the API
// server requires of a node) is one sentence and no read: `../../etc`, an absolute path, a NUL, a
// name that is only dots. The planted snapshot outside DIR would confirm kernel.pid_max if it were read.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readNodeEvidence } from '../../src/pipeline/cluster-report.js';
import type { CrashedContainer } from '../../src/sources/cluster/crashed.js';

const base = mkdtempSync(join(tmpdir(), 'pm-node-names-'));
const dir = join(base, 'evidence', 'snapshots');
mkdirSync(dir, { recursive: true });
// Outside the evidence folder, where "../.." from it leads: a snapshot an attacker wants read.
const outside = join(base, 'planted');
mkdirSync(join(outside, 'proc', 'sys', 'kernel'), { recursive: true });
writeFileSync(join(outside, 'proc', 'sys', 'kernel', 'pid_max'), '32768\n');
// And a real node's snapshot inside.
mkdirSync(join(dir, 'worker-1', 'proc', 'sys', 'kernel'), { recursive: true });
writeFileSync(join(dir, 'worker-1', 'proc', 'sys', 'kernel', 'pid_max'), '4194304\n');

const crashedOn = (node: string): CrashedContainer => ({
  namespace: 'shop',
  pod: `p-${node.length}`,
  container: 'app',
  node,
  why: '1 restart',
  previous: true,
});

test('hostile node names are refused with one sentence each; a real node name is read', async () => {
  const hostile = [
    '../../planted',
    '../planted',
    outside,
    `worker-1\u0000/../../planted`,
    '..',
    'Worker-1',
    'a'.repeat(300),
  ];
  const warnings: string[] = [];
  const facts = await readNodeEvidence(
    dir,
    { containers: [...hostile, 'worker-1'].map(crashedOn), pods: [] },
    warnings,
  );
  expect([...facts.keys()]).toEqual(['worker-1']);
  expect(facts.get('worker-1')!.limits.find((l) => l.id === 'kernel.pid_max')?.max).toBe(4194304);
  for (const name of hostile.slice(0, 6))
    expect(warnings).toContain(
      `node name "${name.replace('\u0000', '\\u0000')}" is not a DNS-1123 subdomain, so no snapshot under ${dir} is read for it.`,
    );
  expect(warnings.filter((w) => w.includes('is not a DNS-1123 subdomain'))).toHaveLength(hostile.length);
  expect(warnings.join('\n')).not.toContain('32768');
});
