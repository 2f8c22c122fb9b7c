// The redaction corpus through `collect`: a stand-in cluster plants a secret of every family in every
// place a bundle takes text from (the previous log in every wrapping, pod env, args, command and
// annotations, the last-applied configuration, the owners' pod templates, event messages, a node
// snapshot), the bundle is untarred, and every file of it is searched for every secret in raw,
// base64, URL-encoded and JSON-escaped form, also inside every base64 and URL-encoded run. No survivor.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { event, node, owner, pod } from '../standin/objects.mjs';
import { CALICO_LOG } from '../standin/scenario.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';
import { ensureBuilt, podmortemAsync } from '../cluster/helpers.js';
import { PLANTED_LINES, SECRET_LOG, SECRETS, survivors, wrappings } from './corpus.js';

let s: Standin;
const dir = mkdtempSync(join(tmpdir(), 'pm-redact-corpus-'));
const NS = 'shop';
const POD = 'checkout-6b7f9d8c4-q8w2e';

const secretEnv = () => [
  { name: 'DB_PASS', value: SECRETS.envPass },
  { name: 'SLACK_WEBHOOK_URL', value: SECRETS.envWebhook },
  { name: 'SENTRY_DSN', value: SECRETS.envDsn },
  { name: 'STRIPE_SK', value: SECRETS.envSk },
  { name: 'GITHUB_TOKEN', value: SECRETS.ghp },
  { name: 'LOG_LEVEL', value: 'debug' },
];
const secretArgs = () => [
  '--password',
  SECRETS.argPasswordSpace,
  `--db-password=${SECRETS.argPasswordEquals}`,
  `-p${SECRETS.argMysqlP}`,
];

beforeAll(async () => {
  ensureBuilt();
  const p = pod({
    ns: NS,
    name: POD,
    node: 'worker-2',
    owner: { kind: 'ReplicaSet', name: 'checkout-6b7f9d8c4' },
    containers: [
      { name: 'app', restartCount: 3, lastTerminated: { exitCode: 2, reason: 'Error' }, env: secretEnv() },
    ],
  }) as { metadata: Record<string, unknown>; spec: { containers: Record<string, unknown>[] } };
  p.spec.containers[0]!.args = secretArgs();
  p.spec.containers[0]!.command = ['sh', '-c', `mysql -uroot -p${SECRETS.argMysqlP} && exec app`];
  p.metadata.annotations = {
    'example.com/api-token': SECRETS.annotationToken,
    'example.com/notes': `deployed with ${SECRETS.ghs}`,
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
      spec: { containers: [{ name: 'app', env: [{ name: 'STRIPE_SECRET', value: SECRETS.lastApplied }] }] },
    }),
  };
  const template = {
    metadata: { annotations: { 'example.com/api-token': SECRETS.annotationToken } },
    spec: {
      containers: [
        {
          name: 'app',
          args: secretArgs(),
          env: [...secretEnv(), { name: 'OWNER_DB_PASSWORD', value: SECRETS.ownerTemplatePass }],
        },
      ],
    },
  };
  const rs = owner('ReplicaSet', NS, 'checkout-6b7f9d8c4', { kind: 'Deployment', name: 'checkout' }) as {
    spec: unknown;
  };
  rs.spec = { replicas: 2, template };
  const deploy = owner('Deployment', NS, 'checkout') as { spec: unknown };
  deploy.spec = { replicas: 2, template };
  const log = [SECRET_LOG, ...PLANTED_LINES.flatMap(wrappings), CALICO_LOG].join('\n');
  s = await startStandin({
    pods: [p],
    nodes: [node('worker-2')],
    owners: [rs, deploy],
    events: [
      event(p, {
        reason: 'Failed',
        message: `Failed to pull image: authorization: bearer ${SECRETS.lowerBearer} rejected; retry with ${SECRETS.eventSecret}`,
        container: 'app',
      }),
    ],
    logs: { [`${NS}/${POD}/app`]: { previous: log } },
  });
  const snap = join(dir, 'snapshots', 'worker-2');
  mkdirSync(join(snap, 'etc', 'kubernetes'), { recursive: true });
  mkdirSync(join(snap, 'proc', 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(snap, 'proc', 'sys', 'kernel', 'pid_max'), '32768\n');
  writeFileSync(join(snap, 'etc', 'kubernetes', 'cloud.env'), PLANTED_LINES.join('\n') + '\n');
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

test('collect: no planted secret survives in any file of the bundle, in any encoding', async () => {
  const bundle = join(dir, 'corpus.tar.gz');
  const r = await podmortemAsync([
    'collect',
    '--kubeconfig',
    s.kubeconfig,
    '-n',
    NS,
    '--node-evidence',
    join(dir, 'snapshots'),
    '-o',
    bundle,
  ]);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.status).toBe(0);
  const out = join(dir, 'untarred');
  mkdirSync(out);
  await extract({ file: bundle, cwd: out });
  const all = files(out);
  // Every place was written: log, pods, owners, events, snapshot.
  for (const f of [
    'logs/shop/',
    'objects/pods.json',
    'objects/owners.json',
    'objects/events.json',
    'nodes/worker-2/',
  ])
    expect(
      all.some((p) => p.includes(f)),
      f,
    ).toBe(true);
  const leaks = all.flatMap((f) =>
    survivors(readFileSync(f, 'utf8')).map((n) => `${n} in ${f.slice(out.length)}`),
  );
  expect(leaks).toEqual([]);
  // The manifest counts by rule, and holds no value.
  const manifest = readFileSync(join(out, 'podmortem-bundle.json'), 'utf8');
  const counts = JSON.parse(manifest).redaction.counts as Record<string, number>;
  for (const kind of ['github-token', 'env-value', 'secret-arg', 'annotation-value', 'slack-webhook'])
    expect(counts[kind], kind).toBeGreaterThan(0);
  expect(Object.values(counts).every((n) => Number.isInteger(n))).toBe(true);
});
