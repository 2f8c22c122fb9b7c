// `podmortem agent` through the faults of a real node, on the containerd lab (its private containerd
// 1.6 driven through CRI as the kubelet drives it) with the HTTPS stand-in API:
// - the Kubernetes API down for 30 s (15 s refusing connections, then accepting and never answering
//   until the agent has cancelled a request): crashes meanwhile are recorded at once, their Events wait in the queue and are
//   posted once the API answers again;
// - containerd stopped and started again under the agent (its shims and containers stay): the agent
//   says so once, reconnects with backoff, records the exit that happened in the gap from the
//   runtime's records, says how long the gap was, and records the exits after it as they happen.
// Outside CI, where the lab cannot run, it is skipped with the reason; with CI=true it fails.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentItem } from '../../src/store/types.js';
import { ContainerdLab, labUnavailable, type LabPod } from '../lab/containerd/lab.js';
import { startStandin, type Standin } from '../standin/server.mjs';
import { incidents, series, sleep, startAgent, storedRows, until, type RunningAgent } from './helpers.js';

const why = labUnavailable();
const ci = process.env.CI === 'true';
if (why && !ci) console.warn(`containerd agent fault lab skipped: ${why}`);

const metricsOf = (agent: RunningAgent) => fetch(`${agent.url}/metrics`).then((r) => r.text());
/** The value of an unlabelled series, undefined when absent. */
function value(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe.skipIf(why !== undefined && !ci)('podmortem agent through faults on the containerd lab', () => {
  let lab: ContainerdLab;
  let standin: Standin;
  let agent: RunningAgent;
  let state: string;
  let db: string;
  let triggers = 0;

  /** A container that crashes with `status` once `go` is written into its trigger folder. */
  async function crashOnTrigger(pod: LabPod, status: number): Promise<{ id: string; fire: () => void }> {
    const trigger = join(lab.tmp, `trigger-${triggers++}`);
    mkdirSync(trigger, { recursive: true });
    const id = await lab.runContainer(pod, {
      container: 'app',
      command: [
        '/bin/sh',
        '-c',
        `while [ ! -e /trigger/go ]; do sleep 0.05; done; exec /bin/crashlab exit ${status}`,
      ],
      trigger,
    });
    return { id, fire: () => writeFileSync(join(trigger, 'go'), '') };
  }

  async function crashNow(namespace: string, name: string, status: number): Promise<LabPod> {
    const pod = await lab.runPod({ pod: name, namespace });
    const id = await lab.runContainer(pod, {
      container: 'app',
      command: ['/bin/sh', '-c', `exec /bin/crashlab exit ${status}`],
    });
    await lab.exited(id);
    return pod;
  }

  beforeAll(async () => {
    if (why) throw new Error(`the containerd lab cannot run: ${why}`);
    lab = new ContainerdLab();
    await lab.start();
    standin = await startStandin({});
    state = mkdtempSync(join(tmpdir(), 'podmortem-agent-faults-'));
    db = join(state, 'agent.db');
    agent = await startAgent([
      '--db',
      db,
      '--node-name',
      'fault-node',
      '--log-dir',
      lab.logDir,
      '--runtime-endpoint',
      `unix://${lab.socket}`,
      '--kubeconfig',
      standin.kubeconfig,
      '--sample-interval',
      '0.5',
    ]);
    await until(
      () => fetch(`${agent.url}/readyz`).then((r) => r.status),
      (s) => s === 200,
      60_000,
      'readyz',
    );
  }, 600_000);

  afterAll(async () => {
    await agent?.stop();
    await standin?.close();
    await lab?.teardown();
    if (state) rmSync(state, { recursive: true, force: true });
  }, 120_000);

  describe('the Kubernetes API down for 30 s', () => {
    const names = ['ingest-a-0', 'ingest-b-0', 'ingest-c-0'];
    let duringOutage: IncidentItem[] = [];
    let pendingDuringOutage = 0;
    let failedDuringOutage = 0;
    let hangCrash: IncidentItem | undefined;

    beforeAll(async () => {
      const down = Date.now();
      await standin.down(); // connection refused
      for (const n of names) await crashNow('api-down', n, 3);
      duringOutage = await until(
        () => incidents(agent, '&namespace=api-down'),
        (items) => items.length === names.length,
        20_000,
        'the crashes recorded while the API is down',
      );
      // 15 s refused, then 15 s of an API server that accepts and never answers (a stuck proxy).
      await sleep(Math.max(0, 15_000 - (Date.now() - down)));
      await standin.up();
      standin.inject({ path: /\/events/, hang: true, times: Infinity });
      await crashNow('api-down', 'ingest-d-0', 3);
      hangCrash = (
        await until(
          () => incidents(agent, '&namespace=api-down'),
          (items) => items.some((i) => i.subject.pod === 'ingest-d-0'),
          20_000,
          'the crash recorded while the API hangs',
        )
      ).find((i) => i.subject.pod === 'ingest-d-0');
      // At least 30 s in all, and until the agent has cancelled one request left unanswered.
      await until(
        () => standin.aborted,
        (n) => n >= 1,
        60_000,
        'a hanging request cancelled by the agent',
      );
      await sleep(Math.max(0, 30_000 - (Date.now() - down)));
      const text = await metricsOf(agent);
      pendingDuringOutage = value(text, 'podmortem_agent_events_pending') ?? -1;
      failedDuringOutage = series(text, 'podmortem_agent_events_total', { outcome: 'failed' });
      standin.clearFaults(); // back
    }, 180_000);

    it('records every crash in the store while the API is down (recording never waits for Events)', () => {
      expect(duringOutage.map((i) => i.subject.pod).sort()).toEqual(names);
      expect(duringOutage.every((i) => i.subject.exitCode === 3)).toBe(true);
      expect(hangCrash?.subject.exitCode).toBe(3);
      expect(storedRows(db).filter((r) => r.namespace === 'api-down')).toHaveLength(4);
    });

    it('holds their Events in the queue and counts the failed attempts meanwhile', () => {
      expect(pendingDuringOutage).toBe(4);
      expect(failedDuringOutage).toBeGreaterThanOrEqual(2);
      expect(agent.stderr()).toMatch(/Events cannot reach the API server \([^)]*ECONNREFUSED/);
      expect(agent.stderr()).toMatch(/Events cannot reach the API server \(no answer within 10 s\)/);
    });

    it('posts every Event once the API answers again, and says so', async () => {
      await until(
        () => standin.state.posted.filter((e) => e.metadata.namespace === 'api-down'),
        (posted) => posted.length === 4,
        90_000,
        'the four Events',
      );
      const posted = standin.state.posted.filter((e) => e.metadata.namespace === 'api-down');
      expect(posted.map((e) => e.regarding?.name).sort()).toEqual([...names, 'ingest-d-0'].sort());
      expect(posted.every((e) => e.reason === 'CrashDiagnosed')).toBe(true);
      const text = await until(
        () => metricsOf(agent),
        (t) => value(t, 'podmortem_agent_events_pending') === 0,
        10_000,
        'an empty Event queue',
      );
      expect(series(text, 'podmortem_agent_events_total', { outcome: 'posted' })).toBeGreaterThanOrEqual(4);
      expect(series(text, 'podmortem_agent_events_total', { outcome: 'dropped' })).toBe(0);
      expect(agent.stderr()).toMatch(
        /Events reach the API server again after \d+ s; the \d+ queued are being posted\./,
      );
    });
  });

  describe('containerd restarted under the agent', () => {
    let gapPod: LabPod;
    let afterPod: LabPod;
    let stderrBefore = '';
    let readyWhileDown = 0;
    let connectedWhileDown: number | undefined;

    beforeAll(async () => {
      gapPod = await lab.runPod({ pod: 'gap-0', namespace: 'runtime-restart' });
      const gap = await crashOnTrigger(gapPod, 5);
      // Sampled at least once before containerd goes away.
      await until(
        () => metricsOf(agent),
        (t) => (value(t, 'podmortem_agent_sampled_containers') ?? 0) >= 1,
        20_000,
        'a sample',
      );
      stderrBefore = agent.stderr();
      await lab.stopContainerd();
      await until(
        () => agent.stderr().slice(stderrBefore.length),
        (e) => /Retrying with backoff/.test(e),
        30_000,
        'the sentence saying containerd is gone',
      );
      gap.fire(); // exits while containerd is down: its shim keeps the exit status
      await sleep(6000);
      readyWhileDown = (await fetch(`${agent.url}/readyz`)).status;
      connectedWhileDown = value(await metricsOf(agent), 'podmortem_agent_runtime_connected');
      await lab.restartContainerd();
      await until(
        () => agent.stderr(),
        (e) => /reconnected to /.test(e),
        60_000,
        'the reconnection',
      );
      afterPod = await crashNow('runtime-restart', 'after-0', 6);
    }, 240_000);

    it('says once that the runtime went away, and is not ready meanwhile', () => {
      const said = agent.stderr().slice(stderrBefore.length);
      const lost = said.split('\n').filter((l) => /Retrying with backoff/.test(l));
      expect(lost).toHaveLength(1);
      expect(lost[0]).toContain(lab.socket);
      expect(readyWhileDown).toBe(503);
      expect(connectedWhileDown).toBe(0);
    });

    it('reconnects and reports the gap: how long, and the exits of the gap found in the records', async () => {
      const said = agent.stderr().slice(stderrBefore.length);
      const m =
        /reconnected to unix:\/\/\S+ after (\d+\.\d) s without its exit events \((\d+) failed attempts\): (\d+) exits of that gap found in its records are being recorded\./.exec(
          said,
        );
      expect(m, said).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(5);
      expect(Number(m![2])).toBeGreaterThanOrEqual(1);
      expect(Number(m![3])).toBeGreaterThanOrEqual(1);
      const text = await metricsOf(agent);
      expect(value(text, 'podmortem_agent_runtime_reconnects_total')).toBe(1);
      expect(value(text, 'podmortem_agent_runtime_errors_total')).toBeGreaterThanOrEqual(2);
      expect(value(text, 'podmortem_agent_runtime_last_gap_seconds')).toBeGreaterThan(5);
      expect(value(text, 'podmortem_agent_runtime_connected')).toBe(1);
      expect((await fetch(`${agent.url}/readyz`)).status).toBe(200);
    });

    it('records the exit that happened in the gap, once, with its exit status', async () => {
      const items = await until(
        () => incidents(agent, '&namespace=runtime-restart'),
        (items) => items.some((i) => i.subject.podUid === gapPod.uid),
        60_000,
        'the exit of the gap',
      );
      const gap = items.filter((i) => i.subject.podUid === gapPod.uid);
      expect(gap).toHaveLength(1);
      expect(gap[0]!.subject.exitCode).toBe(5);
    });

    it('records exits after the reconnection as they happen', async () => {
      const items = await until(
        () => incidents(agent, '&namespace=runtime-restart'),
        (items) => items.some((i) => i.subject.podUid === afterPod.uid),
        30_000,
        'the exit after the reconnection',
      );
      expect(items.filter((i) => i.subject.podUid === afterPod.uid)).toHaveLength(1);
      expect(items.find((i) => i.subject.podUid === afterPod.uid)!.subject.exitCode).toBe(6);
      expect(storedRows(db).filter((r) => r.namespace === 'runtime-restart')).toHaveLength(2);
    });
  });
});
