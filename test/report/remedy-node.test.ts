// `podmortem node` on a node whose disk shows containerd (/var/lib/containerd) while Docker is the
// runtime that answers on its socket and runs the containers: the report's fix names Docker (who
// recorded OOMKilled, its units) and the JVM that the container's image shows, sized from the memory
// limit Docker applied. The Docker Engine API answers over a real unix socket, as dockerd 20.10 did
// in this project's lab (payload trimmed to the fields read).
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodePostmortem } from '../../src/pipeline/node.js';

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const UID = '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
const NAME = `/k8s_app_billing-5c8d7f6b9-k2m4p_shop_${UID}_9`;
const INSPECT = {
  Id: ID,
  Name: NAME,
  RestartCount: 9,
  State: {
    Status: 'exited',
    Running: false,
    Restarting: false,
    OOMKilled: true,
    Pid: 0,
    ExitCode: 137,
    StartedAt: '2026-11-29T11:42:41.118Z',
    FinishedAt: '2026-11-29T11:43:10.220Z',
  },
  Config: {
    User: '1000',
    Labels: {},
    Image: 'eclipse-temurin:17-jre',
    Env: ['PATH=/opt/java/openjdk/bin:/usr/bin', 'JAVA_HOME=/opt/java/openjdk'],
  },
  HostConfig: { Privileged: false, PidsLimit: 0, Memory: 768 * 2 ** 20, Ulimits: null },
};

let dir: string;
let close: () => void;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podmortem-remedy-node-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'var', 'lib', 'containerd'), { recursive: true });
  mkdirSync(join(root, 'proc', 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(root, 'proc', 'sys', 'kernel', 'pid_max'), '4194304\n');
  mkdirSync(join(dir, 'pods'));
  const socket = join(dir, 'docker.sock');
  const srv = createServer((req, res) => {
    const p = req.url ?? '';
    const [status, body] = p.startsWith('/v1.41/containers/json')
      ? [200, JSON.stringify([{ Id: ID, Names: [NAME] }])]
      : p === `/v1.41/containers/${ID}/json`
        ? [200, JSON.stringify(INSPECT)]
        : p === '/v1.41/version'
          ? [200, JSON.stringify({ Version: '20.10.24' })]
          : [404, '{}'];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((ok) => srv.listen(socket, ok));
  close = () => srv.close();
});
afterAll(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

describe('podmortem node: the runtime that answered, not the one the disk hints at', () => {
  test('an OOMKilled JVM container under Docker: Docker recorded it, the JVM fix is sized from 768 MiB', async () => {
    const { report } = await nodePostmortem({
      root: join(dir, 'root'),
      logDir: join(dir, 'pods'),
      dockerSocket: join(dir, 'docker.sock'),
    });
    expect(report.node?.runtime?.name).toBe('docker');
    const inc = report.incidents.find((i) => i.subject.pod === 'billing-5c8d7f6b9-k2m4p')!;
    const mem = inc.causes.find((c) => c.id === 'memory.cgroup')!;
    expect(mem.verdict).toBe('confirmed');
    const said = [mem.summary, ...mem.reasons].join('\n');
    expect(said).toContain('Docker recorded the container as OOMKilled');
    expect(said).not.toContain('containerd recorded');
    const fix = mem.remediation.map((r) => [r.summary, ...r.commands].join('\n')).join('\n');
    expect(fix).toContain('The container runs the JVM (its image "eclipse-temurin:17-jre")');
    expect(fix).toContain('inside the 768 MiB limit: -XX:MaxRAMPercentage=65 caps the heap at 499 MiB');
    expect(fix).not.toContain('GOMEMLIMIT');
  });
});
