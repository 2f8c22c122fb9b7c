// The test cluster: the seed incident (calico-node on 10.165.6.26 crashing with Go's newosproc, the
// other pods of that node failing their probes), an OOMKilled Deployment on another node, and a
// namespace whose logs the scanner may not read. Log lines are real: the calico-node ones are the seed
// thread's (/work/shared/seed/calico-node-restart.md), the probe message is the kubelet's format.
import { event, node, owner, pod } from './objects.mjs';

export const CALICO_LOG =
  [
    'runtime: failed to create new OS thread (have 41 already; errno=11)',
    'runtime: may need to increase max user processes (ulimit -u)',
    'fatal error: newosproc',
    '',
    'runtime stack:',
    'runtime.throw(0x1aa0343, 0x9)',
    '        /usr/local/go/src/runtime/panic.go:608 +0x72',
    'runtime.newosproc(0xc00062ea80)',
    '        /usr/local/go/src/runtime/os_linux.go:166 +0x1c0',
    'runtime.newm1(0xc00062ea80)',
    '        /usr/local/go/src/runtime/proc.go:1940 +0xfe',
    '',
    'goroutine 35 [running]:',
    'runtime.systemstack_switch()',
    '        /usr/local/go/src/runtime/asm_amd64.s:311 fp=0xc0000b7568 sp=0xc0000b7560 pc=0x4577d0',
    'created by runtime.gcBgMarkStartWorkers',
    '        /usr/local/go/src/runtime/mgc.go:1720 +0x77',
  ].join('\n') + '\n';

const CALICO_NODE = '10.165.6.26';

export function scenario({ healthy = 30 } = {}) {
  const pods = [];
  const events = [];
  const owners = [];
  const logs = {};

  const calico = pod({
    ns: 'kube-system',
    name: 'calico-node-56bgm',
    node: CALICO_NODE,
    owner: { kind: 'DaemonSet', name: 'calico-node' },
    labels: { 'k8s-app': 'calico-node' },
    containers: [
      {
        name: 'calico-node',
        image: 'calico/node:v3.8.8-1',
        restartCount: 21,
        privileged: true,
        lastTerminated: { exitCode: 2, reason: 'Error', finishedAt: '2026-11-29T11:52:10Z' },
      },
    ],
  });
  pods.push(calico);
  owners.push(owner('DaemonSet', 'kube-system', 'calico-node'));
  logs['kube-system/calico-node-56bgm/calico-node'] = {
    previous: CALICO_LOG,
    current: '2026-11-29 11:52:14.101 [INFO][8] startup.go 256: Early log level set to info\n',
  };

  // Pods of the same node that lost their network: liveness probes time out and the kubelet kills them.
  for (const [name, rs] of [
    ['cart-5f6d8b7c9-x2k9p', 'cart-5f6d8b7c9'],
    ['search-7c9d6f5b4-m3n8q', 'search-7c9d6f5b4'],
  ]) {
    const p = pod({
      ns: 'shop',
      name,
      node: CALICO_NODE,
      owner: { kind: 'ReplicaSet', name: rs },
      ready: false,
      containers: [
        {
          name: 'app',
          restartCount: 4,
          runAsUser: 1000,
          liveness: true,
          lastTerminated: { exitCode: 137, reason: 'Error', finishedAt: '2026-11-29T11:54:40Z' },
        },
      ],
    });
    pods.push(p);
    owners.push(owner('ReplicaSet', 'shop', rs, { kind: 'Deployment', name: rs.replace(/-[a-z0-9]+$/, '') }));
    owners.push(owner('Deployment', 'shop', rs.replace(/-[a-z0-9]+$/, '')));
    logs[`shop/${name}/app`] = {
      previous:
        '2026-11-29T11:50:01.002Z INFO listening on :8080\n2026-11-29T11:53:12.417Z WARN upstream inventory.shop.svc: dial tcp 10.96.12.7:80: i/o timeout\n',
    };
    events.push(
      event(p, {
        reason: 'Unhealthy',
        container: 'app',
        count: 12,
        message:
          'Liveness probe failed: Get "http://192.168.10.7:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
      }),
      event(p, {
        reason: 'Killing',
        type: 'Normal',
        container: 'app',
        count: 4,
        message: 'Container app failed liveness probe, will be restarted',
      }),
    );
  }
  const notReady = pod({
    ns: 'shop',
    name: 'web-6d8f7b9c5-k7p2w',
    node: CALICO_NODE,
    owner: { kind: 'ReplicaSet', name: 'web-6d8f7b9c5' },
    ready: false,
    containers: [{ name: 'web', runAsUser: 1000 }],
  });
  pods.push(notReady);
  events.push(
    event(notReady, {
      reason: 'Unhealthy',
      container: 'web',
      count: 30,
      message:
        'Readiness probe failed: Get "http://192.168.10.9:8080/ready": dial tcp 192.168.10.9:8080: i/o timeout',
    }),
  );

  // Two replicas of one Deployment killed by their memory limit on another node.
  for (const name of ['checkout-6b7f9d8c4-q8w2e', 'checkout-6b7f9d8c4-r4t7y']) {
    const p = pod({
      ns: 'shop',
      name,
      node: 'worker-2',
      hostIP: '10.165.6.31',
      owner: { kind: 'ReplicaSet', name: 'checkout-6b7f9d8c4' },
      containers: [
        {
          name: 'app',
          restartCount: 7,
          runAsUser: 1000,
          memoryLimit: '256Mi',
          lastTerminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-11-29T11:41:02Z' },
        },
      ],
    });
    pods.push(p);
    logs[`shop/${name}/app`] = {
      previous:
        '2026-11-29T11:40:55.120Z INFO processed batch 1184 (12034 orders)\n2026-11-29T11:41:01.882Z INFO loading catalog snapshot into cache\n',
    };
  }
  owners.push(
    owner('ReplicaSet', 'shop', 'checkout-6b7f9d8c4', { kind: 'Deployment', name: 'checkout' }),
    owner('Deployment', 'shop', 'checkout'),
  );

  // A namespace the scanner's ServiceAccount may list but whose logs it may not read.
  const ledger = pod({
    ns: 'payments',
    name: 'ledger-0',
    node: 'worker-3',
    hostIP: '10.165.6.32',
    owner: { kind: 'StatefulSet', name: 'ledger' },
    containers: [
      {
        name: 'ledger',
        restartCount: 3,
        waiting: 'CrashLoopBackOff',
        lastTerminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-11-29T11:45:00Z' },
      },
    ],
  });
  pods.push(ledger);
  owners.push(owner('StatefulSet', 'payments', 'ledger'));
  logs['payments/ledger-0/ledger'] = { previous: 'panic: open /data/ledger.db: permission denied\n' };

  for (let i = 0; i < healthy; i++) {
    pods.push(
      pod({
        ns: i % 2 ? 'default' : 'shop',
        name: `healthy-${String(i).padStart(3, '0')}`,
        node: ['worker-2', 'worker-3', CALICO_NODE][i % 3],
        containers: [{ name: 'app', runAsUser: 1000 }],
      }),
    );
  }

  const nodes = [
    node(CALICO_NODE),
    node('worker-2', {
      ip: '10.165.6.31',
      kernel: '5.15.0-89-generic',
      osImage: 'Ubuntu 22.04.3 LTS',
      runtime: 'containerd://1.7.2',
      kubelet: 'v1.29.4',
    }),
    node('worker-3', {
      ip: '10.165.6.32',
      kernel: '5.15.0-89-generic',
      osImage: 'Ubuntu 22.04.3 LTS',
      runtime: 'containerd://1.7.2',
      kubelet: 'v1.29.4',
    }),
  ];
  return { pods, nodes, events, owners, logs };
}
