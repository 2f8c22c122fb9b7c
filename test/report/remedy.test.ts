// Fixes that fit the workload, as the on-call engineer reads them: `podmortem pod` (the built CLI,
// through the real client against the API stand-in) on an OOMKilled Java 17 pod of a Docker node is
// told the JVM's own setting sized from its 768Mi limit, and who recorded OOMKilled on that node; no
// Go advice, no containerd. And the README's sample output is what the CLI prints for the example.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { node, owner, pod } from '../standin/objects.mjs';
import type { Standin } from '../standin/server.mjs';
import { CLI, ensureBuilt, podmortemAsync, REPO, scenarioStandin } from '../cluster/helpers.js';

const TRUSTSTORE_SECRET = 's3cr3t-truststore-pass';

let s: Standin;
beforeAll(async () => {
  ensureBuilt();
  s = await scenarioStandin();
  s.state.nodes.push(
    node('worker-docker', {
      ip: '10.165.6.40',
      kernel: '5.4.0-150-generic',
      osImage: 'Ubuntu 20.04.6 LTS',
      runtime: 'docker://20.10.24',
      kubelet: 'v1.23.17',
    }),
  );
  s.state.pods.push(
    pod({
      ns: 'shop',
      name: 'billing-5c8d7f6b9-k2m4p',
      node: 'worker-docker',
      hostIP: '10.165.6.40',
      owner: { kind: 'ReplicaSet', name: 'billing-5c8d7f6b9' },
      containers: [
        {
          name: 'app',
          image: 'eclipse-temurin:17-jre',
          // A password among the JVM options: only the -X/-XX flags may reach a report.
          env: [
            {
              name: 'JAVA_TOOL_OPTIONS',
              value: `-XX:MaxRAMPercentage=90 -Djavax.net.ssl.trustStorePassword=${TRUSTSTORE_SECRET}`,
            },
            { name: 'DB_PASSWORD', value: TRUSTSTORE_SECRET },
          ],
          restartCount: 9,
          runAsUser: 1000,
          memoryLimit: '768Mi',
          lastTerminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-11-29T11:43:10Z' },
        },
      ],
    }),
  );
  s.state.owners.push(
    owner('ReplicaSet', 'shop', 'billing-5c8d7f6b9', { kind: 'Deployment', name: 'billing' }),
    owner('Deployment', 'shop', 'billing'),
  );
  // What a Spring Boot service prints before the kernel kills it: nothing about memory.
  s.state.logs['shop/billing-5c8d7f6b9-k2m4p/app'] = {
    previous:
      '2026-11-29T11:42:51.204Z  INFO 1 --- [           main] c.e.billing.BillingApplication : Started BillingApplication in 9.81 seconds\n' +
      '2026-11-29T11:43:09.877Z  INFO 1 --- [nio-8080-exec-7] c.e.billing.InvoiceExport : exporting 48211 invoices\n',
  };
});
afterAll(async () => {
  await s.close();
});

const pm = (...args: string[]) =>
  podmortemAsync(['pod', 'billing-5c8d7f6b9-k2m4p', '-n', 'shop', '--kubeconfig', s.kubeconfig, ...args]);

describe('an OOMKilled Java 17 pod on a Docker node', () => {
  test('JSON: the JVM fix sized from the 768Mi limit, the limit as evidence, Docker as the recorder; no GOMEMLIMIT, no containerd', async () => {
    const r = await pm('-f', 'json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const mem = report.incidents[0]!.causes.find((c) => c.id === 'memory.cgroup')!;
    expect(mem.verdict).toBe('confirmed');
    const fixes = JSON.stringify(mem.remediation);
    expect(fixes).not.toMatch(/GOMEMLIMIT|NODE_OPTIONS|DOTNET_/);
    // 768 MiB - 256 MiB of non-heap room = 66%, in steps of 5: 65% = 499 MiB of heap, 269 MiB left.
    expect(mem.remediation[0]!.summary).toContain(
      '-XX:MaxRAMPercentage=65 caps the heap at 499 MiB and leaves 269 MiB for the rest',
    );
    expect(mem.remediation[0]!.summary).toContain('the 768Mi limit');
    // What showed the JVM, and what its setting gives now: 90% of 768 MiB leaves 77 MiB for non-heap.
    expect(mem.remediation[0]!.summary).toContain(
      'The container runs the JVM (its setting JAVA_TOOL_OPTIONS)',
    );
    expect(mem.remediation[0]!.summary).toContain(
      'It is set to -XX:MaxRAMPercentage=90 now: a heap of up to 691 MiB, leaving 77 MiB.',
    );
    expect(mem.remediation[0]!.commands).toEqual([
      'kubectl set env -n shop deployment/billing -c app JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=65 -XX:+ExitOnOutOfMemoryError"   # replaces JAVA_TOOL_OPTIONS: keep its other options',
    ]);
    expect(mem.remediation[1]!.commands).toEqual([
      'kubectl set resources -n shop deployment/billing -c app --limits=memory=1152Mi   # 1.5 × 768Mi',
    ]);
    expect(mem.evidence).toContainEqual({
      source: 'pod shop/billing-5c8d7f6b9-k2m4p (containers[app].resources.limits.memory)',
      text: 'memory: 768Mi',
    });
    const said = [mem.summary, ...mem.reasons].join('\n');
    expect(said).toContain('Docker recorded the container as OOMKilled (State.OOMKilled)');
    expect(said).not.toContain('containerd sets');
    expect(r.stdout).not.toContain(TRUSTSTORE_SECRET);
  });

  test('text: the fix block a user reads names the JVM flag and the limit, never Go', async () => {
    const r = await pm('--no-color');
    expect(r.status).toBe(0);
    const text = r.stdout.replace(/\n\s+/g, ' ');
    expect(text).toContain('fix: The container runs the JVM');
    expect(text).toContain('JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=65 -XX:+ExitOnOutOfMemoryError"');
    expect(text).toContain('Or raise the memory limit from 768Mi');
    expect(text).toContain('Docker recorded the container as OOMKilled');
    expect(text).not.toMatch(/GOMEMLIMIT|containerd sets/);
    expect(r.stdout).not.toContain(TRUSTSTORE_SECRET);
  });
});

describe("the README's sample output", () => {
  test('is what the first command prints (the calico example), line for line', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const start = readme.indexOf('Answer: confirmed kernel.pid_max');
    const sample = readme.slice(start, readme.indexOf('\n```\n', start) + 1);
    const printed = execFileSync(
      process.execPath,
      [
        CLI,
        'analyze',
        'examples/calico-node-newosproc/calico-node.log',
        'examples/calico-node-newosproc/pod.yaml',
        '--node-root',
        'examples/calico-node-newosproc/node',
      ],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(start).toBeGreaterThan(0);
    expect(sample).toBe(printed);
    // The two sentences this sample once had wrong.
    expect(sample).toContain(
      'allows 32767 PIDs (1 to\n        32767; PID 0 is never handed out): at most 7 are left',
    );
    expect(sample).toContain('at every level read (2 container scopes and the pod)');
  });
});
