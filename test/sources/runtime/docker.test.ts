// The Docker Engine API reader: container names and labels as the dockershim kubelet set them, the
// inspect payload this lab's dockerd 20.10 returned, and a socket that is missing or not Docker.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numericUser, parseKubeName, readDocker } from '../../../src/sources/runtime/docker.js';

describe('parseKubeName', () => {
  it('splits k8s_<container>_<pod>_<namespace>_<uid>_<attempt>', () => {
    expect(
      parseKubeName('/k8s_calico-node_calico-node-56bgm_kube-system_0c2d4f4e-8d7a-4b7e-9b1e-5d1a2f3b4c5d_21'),
    ).toEqual({
      container: 'calico-node',
      pod: 'calico-node-56bgm',
      namespace: 'kube-system',
      podUid: '0c2d4f4e-8d7a-4b7e-9b1e-5d1a2f3b4c5d',
      attempt: 21,
    });
  });
  it('falls back on the io.kubernetes labels, and skips the pause (POD) container', () => {
    expect(
      parseKubeName('/whatever', {
        'io.kubernetes.pod.uid': 'u',
        'io.kubernetes.container.name': 'app',
        'io.kubernetes.pod.name': 'p',
        'io.kubernetes.pod.namespace': 'n',
      })?.container,
    ).toBe('app');
    expect(
      parseKubeName('/whatever', { 'io.kubernetes.pod.uid': 'u', 'io.kubernetes.container.name': 'POD' }),
    ).toBeUndefined();
    expect(parseKubeName('/plain-container')).toBeUndefined();
  });
  it('reads numeric users only', () => {
    expect(numericUser('1234')).toBe(1234);
    expect(numericUser('1234:1234')).toBe(1234);
    expect(numericUser('nobody')).toBeUndefined();
    expect(numericUser('')).toBeUndefined();
  });
});

/** A unix-socket HTTP server answering like dockerd 20.10.24 did in this lab (payload trimmed to the fields read). */
function fakeEngine(
  handler: (path: string) => [number, string],
): Promise<{ socket: string; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-sock-'));
  const socket = join(dir, 'docker.sock');
  const srv = createServer((req, res) => {
    const [status, body] = handler(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  return new Promise((resolve) =>
    srv.listen(socket, () =>
      resolve({
        socket,
        close: () => {
          srv.close();
          rmSync(dir, { recursive: true, force: true });
        },
      }),
    ),
  );
}

const ID = '3c28ad039005936e258f5ccfed9a0ae25c7afbbc3a582c4ffdb46f99f6f16961';
const NAME = '/k8s_calico-node_calico-node-abc_kube-system_11111111-2222-3333-4444-555555555555_0';
const INSPECT = {
  Id: ID,
  Name: NAME,
  RestartCount: 3,
  State: {
    Status: 'exited',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 2,
    Error: '',
    StartedAt: '2026-11-29T17:13:20.831268189Z',
    FinishedAt: '2026-11-29T17:13:20.924339766Z',
  },
  LogPath: `/var/lib/docker/containers/${ID}/${ID}-json.log`,
  Config: { User: '', Labels: {} },
  HostConfig: {
    Privileged: false,
    PidsLimit: null,
    Ulimits: null,
    CgroupParent: '/kubepods/burstable/pod11111111-2222-3333-4444-555555555555',
    Memory: 0,
  },
};

describe('readDocker over a unix socket', () => {
  it('keeps the image and the runtime-tuning variables, reduced to their runtime flags: no other variable, no secret', async () => {
    const inspect = {
      ...INSPECT,
      Config: {
        User: '1000',
        Labels: {},
        Image: 'eclipse-temurin:17-jre',
        Env: [
          'PATH=/opt/java/openjdk/bin:/usr/bin',
          'DB_PASSWORD=hunter2',
          'JAVA_TOOL_OPTIONS=-Xmx600m -Djavax.net.ssl.keyStorePassword=hunter2 -XX:+ExitOnOutOfMemoryError',
          'GOMEMLIMIT=$(cat /secret)',
        ],
      },
    };
    const eng = await fakeEngine((p) => {
      if (p.startsWith('/v1.41/containers/json')) return [200, JSON.stringify([{ Id: ID, Names: [NAME] }])];
      if (p === `/v1.41/containers/${ID}/json`) return [200, JSON.stringify(inspect)];
      return [404, '{}'];
    });
    try {
      const r = await readDocker(eng.socket);
      expect(r.containers[0]).toMatchObject({
        image: 'eclipse-temurin:17-jre',
        runtimeEnv: ['JAVA_TOOL_OPTIONS=-Xmx600m -XX:+ExitOnOutOfMemoryError'],
      });
      expect(JSON.stringify(r.containers[0])).not.toContain('hunter2');
    } finally {
      eng.close();
    }
  });

  it('lists and inspects Kubernetes containers', async () => {
    const eng = await fakeEngine((p) => {
      if (p.startsWith('/v1.41/containers/json'))
        return [
          200,
          JSON.stringify([
            { Id: ID, Names: [NAME] },
            { Id: 'x', Names: ['/not-kube'] },
          ]),
        ];
      if (p === `/v1.41/containers/${ID}/json`) return [200, JSON.stringify(INSPECT)];
      if (p === '/v1.41/version') return [200, JSON.stringify({ Version: '20.10.24+dfsg1' })];
      return [404, '{}'];
    });
    try {
      const r = await readDocker(eng.socket);
      expect(r.problems).toEqual([]);
      expect(r.version).toBe('20.10.24+dfsg1');
      expect(r.containers).toHaveLength(1);
      expect(r.containers[0]).toMatchObject({
        exitCode: 2,
        restartCount: 3,
        oomKilled: false,
        pidsLimit: null,
        memoryLimit: null,
        cgroupParent: '/kubepods/burstable/pod11111111-2222-3333-4444-555555555555',
      });
      expect(r.containers[0]!.kube.container).toBe('calico-node');
    } finally {
      eng.close();
    }
  });

  it('says in one sentence that the socket is missing, or not Docker', async () => {
    const missing = await readDocker('/nonexistent/docker.sock');
    expect(missing.problems[0]).toMatch(/no Docker socket here/);
    const eng = await fakeEngine(() => [200, '<html>not docker</html>']);
    try {
      const r = await readDocker(eng.socket);
      expect(r.containers).toEqual([]);
      expect(r.problems[0]).toMatch(/did not answer JSON/);
    } finally {
      eng.close();
    }
  });
});
