// No secret survives into a bundle: a stand-in cluster whose logs, env values, annotations and node
// snapshot carry a secret of every kind is collected, the bundle is untarred, and every file of it
// is searched for every secret. The crash must still be diagnosed from the redacted bundle.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { pod, node } from '../standin/objects.mjs';
import { CALICO_LOG } from '../standin/scenario.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';
import { ensureBuilt, podmortemAsync } from '../cluster/helpers.js';
import { SECRET_LOG, SECRETS } from './corpus.js';

let s: Standin;
const dir = mkdtempSync(join(tmpdir(), 'pm-redact-bundle-'));

beforeAll(async () => {
  ensureBuilt();
  const p = pod({
    ns: 'shop',
    name: 'checkout-6b7f9d8c4-q8w2e',
    node: 'worker-2',
    containers: [
      {
        name: 'app',
        restartCount: 3,
        lastTerminated: { exitCode: 2, reason: 'Error' },
        env: [
          { name: 'DB_PASSWORD', value: SECRETS.envPassword },
          { name: 'SLACK_TOKEN', value: SECRETS.envToken },
          { name: 'AWS_ACCESS_KEY_ID', value: SECRETS.awsKeyId },
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'payment', key: 'api-key' } } },
        ],
      },
    ],
  });
  p.metadata.annotations = {
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
      spec: { containers: [{ name: 'app', env: [{ name: 'STRIPE_SECRET', value: SECRETS.lastApplied }] }] },
    }),
  };
  s = await startStandin({
    pods: [p],
    nodes: [node('worker-2')],
    logs: { 'shop/checkout-6b7f9d8c4-q8w2e/app': { previous: SECRET_LOG + CALICO_LOG } },
  });
  // A node snapshot with credentials lying in it (a kubelet kubeconfig with a token, an env file).
  const snap = join(dir, 'snapshots', 'worker-2');
  mkdirSync(join(snap, 'etc', 'kubernetes'), { recursive: true });
  mkdirSync(join(snap, 'proc', 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(snap, 'proc', 'sys', 'kernel', 'pid_max'), '32768\n');
  writeFileSync(
    join(snap, 'etc', 'kubernetes', 'kubelet.conf'),
    `users:\n- name: kubelet\n  user:\n    token: ${SECRETS.bearer}\n`,
  );
  writeFileSync(join(snap, 'etc', 'kubernetes', 'cloud.env'), `AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecret}\n`);
});
afterAll(async () => {
  await s.close();
});

function files(root: string): string[] {
  return readdirSync(root).flatMap((n) => {
    const p = join(root, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('no secret of the corpus appears in any file of the bundle; the manifest counts them by kind; the crash is still diagnosed', async () => {
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
  expect(r.stdout).toMatch(/Redacted \d+ value\(s\): /);

  const out = join(dir, 'untarred');
  mkdirSync(out);
  await extract({ file: bundle, cwd: out });
  const all = files(out);
  expect(all.some((f) => f.endsWith('logs/shop/checkout-6b7f9d8c4-q8w2e/app.log'))).toBe(true);
  expect(all.some((f) => f.endsWith('nodes/worker-2/etc/kubernetes/kubelet.conf'))).toBe(true);
  const leaks: string[] = [];
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    for (const [kind, secret] of Object.entries(SECRETS))
      if (text.includes(secret)) leaks.push(`${kind} in ${f.slice(out.length)}`);
  }
  expect(leaks).toEqual([]);

  const manifest = JSON.parse(readFileSync(join(out, 'podmortem-bundle.json'), 'utf8'));
  expect(manifest.redaction.enabled).toBe(true);
  for (const kind of [
    'private-key',
    'aws-access-key-id',
    'aws-secret-key',
    'gcp-service-account',
    'azure-connection-string',
    'connection-string-password',
    'jwt',
    'bearer-token',
    'basic-auth',
    'env-value',
  ]) {
    expect(manifest.redaction.counts[kind], kind).toBeGreaterThan(0);
  }
  // The secretKeyRef (a reference, not a secret) is kept; so is a harmless env value.
  const pods = readFileSync(join(out, 'objects', 'pods.json'), 'utf8');
  expect(pods).toContain('"secretKeyRef"');
  expect(pods).toContain('"debug"');

  const a = await podmortemAsync(['analyze', bundle, '--format', 'json']);
  expect(a.status).toBe(0);
  const report = JSON.parse(a.stdout);
  expect(report.incidents[0].signatures.map((h: { id: string }) => h.id)).toContain('go.newosproc');
  expect(report.incidents[0].subject.pod).toBe('checkout-6b7f9d8c4-q8w2e');
});

test('--no-redact says so loudly and the bundle says it too', async () => {
  const bundle = join(dir, 'raw.tar.gz');
  const r = await podmortemAsync([
    'collect',
    '--kubeconfig',
    s.kubeconfig,
    '-n',
    'shop',
    '--no-redact',
    '-o',
    bundle,
  ]);
  expect(r.status).toBe(0);
  expect(r.stderr).toContain('WARNING: --no-redact');
  expect(r.stdout).toContain('NOT redacted');
  const a = await podmortemAsync(['analyze', bundle]);
  expect(a.stderr).toBe('');
  // The text report wraps at 100 columns in a pipe: read it as sentences.
  expect((a.stdout + a.stderr).replace(/\s+/g, ' ')).toContain(
    'collected with --no-redact; it may contain secrets',
  );
});
