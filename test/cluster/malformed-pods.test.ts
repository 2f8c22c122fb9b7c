// Pod objects with fields that cannot be read, served by the API stand-in through the real client
// and given to analyze as a pod.yaml: a timestamp that is not a time, `finishedAt: null`, a string
// where a number is, a list that is a number, no containerStatuses, megabytes of annotations, a null
// item in the list. Each malformed pod is one finding sentence naming the field; every other field
// of it is still used, and the scan carries on over the other pods.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { node, pod } from '../standin/objects.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';
import { ensureBuilt, podmortemAsync } from './helpers.js';

const crashed = (name: string, restartCount = 3) =>
  pod({
    ns: 'shop',
    name,
    node: 'w1',
    containers: [{ name: 'app', restartCount, lastTerminated: { exitCode: 2 } }],
  });

const good = crashed('good');
const badTime = crashed('bad-time');
badTime.status.containerStatuses[0].lastState.terminated.finishedAt = 'yesterday-ish';
const nullFinished = crashed('null-finished');
nullFinished.status.containerStatuses[0].lastState.terminated.finishedAt = null;
const stringCount = crashed('string-count');
stringCount.status.containerStatuses[0].restartCount = '5';
const numberList = crashed('number-list');
numberList.spec.containers[0].securityContext = { runAsUser: 'root', capabilities: { add: 7 } };
numberList.status.conditions = 5;
const noStatuses = crashed('no-statuses');
delete noStatuses.status.containerStatuses;
const hugeAnnotations = crashed('huge-annotations');
hugeAnnotations.metadata.annotations = { 'example.com/blob': 'x'.repeat(8 << 20) };

const PANIC = 'panic: runtime error: invalid memory address or nil pointer dereference\n';
const logs = Object.fromEntries(
  ['good', 'bad-time', 'null-finished', 'string-count', 'number-list', 'huge-annotations'].map((n) => [
    `shop/${n}/app`,
    { previous: PANIC },
  ]),
);

let s: Standin;
beforeAll(async () => {
  ensureBuilt();
  s = await startStandin({
    pods: [good, badTime, nullFinished, stringCount, numberList, noStatuses, hugeAnnotations],
    nodes: [node('w1')],
    logs,
  });
});
afterAll(async () => {
  await s.close();
});

const summaries = (r: Report) => (r.findings ?? []).map((f) => f.summary);

describe('malformed pod objects', () => {
  test('scan: each malformed pod is one finding naming the field; every crashed pod is still diagnosed', async () => {
    // One page holds a null item too: it names nothing, and the page is still read.
    s.inject({
      path: /\/namespaces\/shop\/pods\?/,
      body: JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1' },
        items: [null, good, badTime, nullFinished, stringCount, numberList, noStatuses, hugeAnnotations],
      }),
    });
    const r = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '-n', 'shop', '-f', 'json']);
    expect(r.stderr).not.toMatch(/Invalid time value|internal error|at .*\.js:\d+/);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.incidents.map((i) => i.subject.pod)).toEqual([
      'bad-time',
      'good',
      'huge-annotations',
      'null-finished',
      'number-list',
      'string-count',
    ]);
    // The rest of a malformed pod is used: its log was read and the panic recognized.
    for (const i of report.incidents) expect(i.signatures.map((x) => x.id)).toContain('go.panic');
    const stringCounted = report.incidents.find((i) => i.subject.pod === 'string-count')!;
    expect(stringCounted.notes.join('\n')).toContain('restarted (restart count unreadable)');

    const found = summaries(report);
    const about = (pod: string) => found.filter((f) => f.includes(`pod shop/${pod} from the API server`));
    expect(about('bad-time')).toEqual([
      'Missing evidence: pod shop/bad-time from the API server has a field that could not be read, ignored while the rest was used: status.containerStatuses[app].lastState.terminated.finishedAt = "yesterday-ish" (expected an RFC 3339 time).',
    ]);
    expect(about('null-finished')[0]).toContain(
      'status.containerStatuses[app].lastState.terminated.finishedAt = null (expected an RFC 3339 time)',
    );
    expect(about('string-count')[0]).toContain(
      'status.containerStatuses[app].restartCount = "5" (expected a whole number)',
    );
    expect(about('number-list')[0]).toMatch(/has 3 fields that could not be read/);
    expect(about('number-list')[0]).toContain('status.conditions = 5 (expected a list)');
    expect(about('number-list')[0]).toContain(
      'spec.containers[app].securityContext.runAsUser = "root" (expected a whole number)',
    );
    // Well-formed pods, the one without containerStatuses (a pending pod has none) and the one with
    // megabytes of annotations (not a field the diagnosis reads) are not findings.
    for (const p of ['good', 'no-statuses', 'huge-annotations']) expect(about(p)).toEqual([]);
    // The megabytes of annotations never reach the report.
    expect(r.stdout.length).toBeLessThan(1 << 20);
  }, 120_000);

  test('pod: a malformed pod is diagnosed, the bad field said once; a pod without statuses says so', async () => {
    const r = await podmortemAsync(['pod', 'bad-time', '--kubeconfig', s.kubeconfig, '-n', 'shop']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('shop/bad-time/app');
    expect(r.stdout).toContain('go.panic');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      'pod shop/bad-time from the API server has a field that could not be read, ignored while the rest was used: status.containerStatuses[app].lastState.terminated.finishedAt = "yesterday-ish" (expected an RFC 3339 time).',
    );

    const none = await podmortemAsync(['pod', 'no-statuses', '--kubeconfig', s.kubeconfig, '-n', 'shop']);
    expect(none.status).toBe(0);
    expect(none.stderr).toContain(
      'app: no status in the pod object (status.containerStatuses has no entry for it)',
    );
  }, 60_000);

  test('analyze LOG pod.yaml: the malformed fields are one warning; the spec still gives its facts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-malformed-'));
    const spec = pod({
      ns: 'shop',
      name: 'web-1',
      node: 'w1',
      containers: [{ name: 'app', restartCount: 2, runAsUser: 1000, lastTerminated: { exitCode: 2 } }],
    });
    spec.status.containerStatuses[0].lastState.terminated.startedAt = 'not a time';
    spec.status.containerStatuses[0].restartCount = -4;
    spec.spec.hostUsers = 'false';
    writeFileSync(join(dir, 'pod.yaml'), JSON.stringify(spec));
    writeFileSync(join(dir, 'crash.log'), PANIC);
    const r = await podmortemAsync(['analyze', join(dir, 'crash.log'), join(dir, 'pod.yaml'), '-f', 'json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.incidents).toHaveLength(1);
    // The pod spec was read as one (not as a log): its pod name and runAsUser reached the incident.
    expect(report.incidents[0]!.subject).toMatchObject({ pod: 'web-1', container: 'app' });
    const sentence = report.warnings.filter((w) => w.includes('could not be read'));
    expect(sentence).toHaveLength(1);
    expect(sentence[0]).toContain(`pod shop/web-1 from ${join(dir, 'pod.yaml')} has 3 fields`);
    expect(sentence[0]).toContain('restartCount = -4 (expected not negative)');
    expect(sentence[0]).toContain('startedAt = "not a time" (expected an RFC 3339 time)');
    expect(sentence[0]).toContain('spec.hostUsers = "false" (expected true or false)');
  }, 60_000);
});
