// collect against a hostile API server and a hostile output folder: a node name that climbs out of
// --node-evidence is refused (nothing outside is copied; the bundle says which field was ignored), the bundle is written 0600, and a folder
// given as -o leaves no temp file behind.
import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list } from 'tar';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { node, pod } from '../standin/objects.mjs';
import { CALICO_LOG } from '../standin/scenario.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';
import { ensureBuilt, podmortemAsync } from './helpers.js';

let s: Standin;
const dir = mkdtempSync(join(tmpdir(), 'pm-collect-safety-'));
const evil = '../../../../etc';

beforeAll(async () => {
  ensureBuilt();
  const p = pod({
    ns: 'shop',
    name: 'evil-0',
    node: evil,
    containers: [{ name: 'app', restartCount: 1, lastTerminated: { exitCode: 2 } }],
  });
  s = await startStandin({
    pods: [p],
    nodes: [node('worker-1')],
    logs: { 'shop/evil-0/app': { previous: CALICO_LOG } },
  });
  mkdirSync(join(dir, 'snapshots'));
});
afterAll(async () => {
  await s.close();
});

test('a pod naming ../../../../etc as its node does not put /etc into the bundle; the bundle is 0600', async () => {
  const bundle = join(dir, 'b.tar.gz');
  const r = await podmortemAsync([
    'collect',
    '--kubeconfig',
    s.kubeconfig,
    '-n',
    'shop',
    '--node-evidence',
    join(dir, 'snapshots'),
    '-o',
    bundle,
  ]);
  expect(r.status).toBe(0);
  // A node name that is not a DNS-1123 subdomain is a malformed field of the pod: left out, never a
  // path, and said in one finding that the bundle keeps.
  const back = await podmortemAsync(['analyze', bundle, '-f', 'json']);
  expect(back.stdout).toContain(
    'spec.nodeName = \\"../../../../etc\\" (expected a DNS-1123 subdomain (a node name))',
  );
  const entries: string[] = [];
  await list({ file: bundle, onReadEntry: (e) => void entries.push(e.path) });
  expect(entries.filter((e) => e.startsWith('nodes/'))).toEqual([]);
  expect(entries.some((e) => /passwd|shadow|hostname/.test(e))).toBe(false);
  expect(statSync(bundle).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
});

test('a folder as -o is one sentence and leaves no temp file', async () => {
  const out = join(dir, 'out.tar.gz');
  mkdirSync(out);
  const r = await podmortemAsync(['collect', '--kubeconfig', s.kubeconfig, '-n', 'shop', '-o', out]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^podmortem: .+: is a directory; the bundle cannot be written there .+\n$/);
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
});
