// readNodeFacts on captured snapshots: the calico example's CentOS 7 node (cgroup v1, cgroupfs
// driver), a cgroup v2 node with the systemd driver, and broken or empty snapshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFacts } from '../../../src/evidence/types.js';
import { readNodeFacts } from '../../../src/sources/host/node-facts.js';
import { writeTree } from './tree.js';

const CALICO = 'examples/calico-node-newosproc/node';
const CALICO_UID = '8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
const CALICO_CID = '4f9a1c3e7b2d8e6f0a5c9b1d3e7f2a4c6b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f';

describe('the calico example snapshot (CentOS 7, cgroup v1, cgroupfs)', async () => {
  const facts = await readNodeFacts(CALICO, { podUids: [CALICO_UID] });

  it('reads the distro, the kernel and the task ceilings with their files', () => {
    expect(facts.os).toMatchObject({ id: 'centos', versionId: '7', prettyName: 'CentOS Linux 7 (Core)' });
    expect(facts.os?.evidence).toEqual({
      source: '/etc/os-release',
      line: 6,
      text: 'PRETTY_NAME="CentOS Linux 7 (Core)"',
    });
    expect(facts.kernelRelease?.value).toBe('3.10.0-1160.59.1.el7.x86_64');
    expect(facts.pidMax).toEqual({
      value: 32768,
      evidence: { source: '/proc/sys/kernel/pid_max', line: 1, text: '32768' },
    });
    expect(facts.tasks).toEqual({
      value: 32760,
      evidence: { source: '/proc/loadavg', line: 1, text: '12.31 11.87 11.02 9/32760 28411' },
    });
    expect(facts.lastPid?.value).toBe(28411);
    expect(facts.threadsMax?.value).toBe(514875);
    expect(facts.fileMax?.value).toBe(6590400);
    expect(facts.filesAllocated?.value).toBe(41760);
    expect(facts.cgroupVersion).toBe(1);
    expect(facts.controllers?.value.pids).toBe(true);
    expect(facts.controllers?.evidence).toEqual({
      source: '/proc/cgroups',
      line: 12,
      text: 'pids\t11\t118\t1',
    });
  });

  it('reads the pod chain container first, pause beside it, then pod, QoS class and kubepods', () => {
    const chain = facts.cgroupChains!.map((l) => [l.level, l.path, l.max, l.current]);
    expect(chain).toEqual([
      ['container', `/kubepods/burstable/pod${CALICO_UID}/${CALICO_CID}`, null, 87],
      [
        'container',
        `/kubepods/burstable/pod${CALICO_UID}/b7e2d94c1a3f5e8d0c6b2a9f4e1d7c3b5a8f0e2d4c6b9a1f3e5d7c0b2a4f6e8d`,
        null,
        1,
      ],
      ['pod', `/kubepods/burstable/pod${CALICO_UID}`, null, 88],
      ['qos', '/kubepods/burstable', null, 20611],
      ['kubepods', '/kubepods', 32768, 31874],
    ]);
    expect(facts.cgroupChains![0]!.controller).toBe('pids');
    expect(facts.cgroupChains![0]!.evidence[0]).toEqual({
      source: `/sys/fs/cgroup/pids/kubepods/burstable/pod${CALICO_UID}/${CALICO_CID}/pids.max`,
      text: 'max',
    });
  });

  it('reads limits.conf and 20-nproc.conf line by line', () => {
    const nproc = facts
      .pamLimits!.filter((l) => l.item === 'nproc')
      .map((l) => [l.evidence.source, l.evidence.line, l.domain, l.type, l.value]);
    expect(nproc).toEqual([
      ['/etc/security/limits.conf', 64, '*', 'soft', '65535'],
      ['/etc/security/limits.conf', 65, '*', 'hard', '65535'],
      ['/etc/security/limits.d/20-nproc.conf', 5, '*', 'soft', '4096'],
      ['/etc/security/limits.d/20-nproc.conf', 6, 'root', 'soft', 'unlimited'],
    ]);
  });

  it('reads the kubelet config (cgroupfs, no podPidsLimit), the runtime and the sysctl files', () => {
    expect(facts.kubelet?.source).toBe('/var/lib/kubelet/config.yaml');
    expect(facts.kubelet?.cgroupDriver).toEqual({
      value: 'cgroupfs',
      evidence: { source: '/var/lib/kubelet/config.yaml', line: 15, text: 'cgroupDriver: cgroupfs' },
    });
    expect(facts.kubelet?.podPidsLimit).toBeUndefined();
    expect(facts.runtime?.value).toBe('docker');
    expect(facts.sysctlFiles!.map((s) => s.key)).toEqual([
      'net.bridge.bridge-nf-call-ip6tables',
      'net.bridge.bridge-nf-call-iptables',
      'net.ipv4.ip_forward',
    ]);
    expect(facts.sysctlFiles!.some((s) => s.key === 'kernel.pid_max')).toBe(false);
  });

  it('lists every limit with its headroom: pid_max at 100%, threads-max far, kubepods', () => {
    const byId = (id: string) =>
      facts.limits.filter((l) => l.id === id).map((l) => [l.scope, l.used, l.max, l.ratio]);
    expect(byId('kernel.pid_max')).toEqual([['node', 32760, 32768, 1]]);
    expect(byId('kernel.threads-max')).toEqual([['node', 32760, 514875, 0.064]]);
    expect(byId('fs.file-max')).toEqual([['node', 41760, 6590400, 0.006]]);
    expect(byId('cgroup.pids')).toEqual([['cgroup:/kubepods', 31874, 32768, 0.973]]);
    // A snapshot has no /proc/<pid>: per-UID counts are not invented.
    expect(byId('rlimit.nproc')).toEqual([]);
  });

  it('says the kernel log is missing, and nothing else', () => {
    expect(facts.unreadable).toEqual([
      'No kernel log in the snapshot (/var/log/dmesg, /var/log/messages, /var/log/kern.log or dmesg.txt): pids rejections and OOM kills cannot be checked.',
    ]);
  });
});

describe('a cgroup v2 node with the systemd driver and containerd', () => {
  const uid = '0f5b2c7e-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
  const u = uid.replace(/-/g, '_');
  const cid = 'a'.repeat(64);
  const pod = `sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`;
  let snap: ReturnType<typeof writeTree> | undefined;
  let facts: NodeFacts;
  afterAll(() => snap?.cleanup());
  beforeAll(async () => {
    snap = writeTree({
      'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
      'sys/fs/cgroup/kubepods.slice/pids.max': 'max\n',
      'sys/fs/cgroup/kubepods.slice/pids.current': '1200\n',
      'sys/fs/cgroup/kubepods.slice/memory.max': '16000000000\n',
      'sys/fs/cgroup/kubepods.slice/memory.current': '9000000000\n',
      'sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pids.max': 'max\n',
      [`${pod}/pids.max`]: '1024\n',
      [`${pod}/pids.current`]: '1024\n',
      [`${pod}/pids.peak`]: '1024\n',
      [`${pod}/pids.events`]: 'max 37\n',
      [`${pod}/pids.events.local`]: 'max 37\n',
      [`${pod}/memory.max`]: 'max\n',
      [`${pod}/cri-containerd-${cid}.scope/pids.max`]: 'max\n',
      [`${pod}/cri-containerd-${cid}.scope/pids.current`]: '1019\n',
      [`${pod}/cri-containerd-${cid}.scope/pids.events`]: 'max 0\n',
      [`${pod}/cri-containerd-${cid}.scope/pids.events.local`]: 'max 0\n',
      [`${pod}/cri-containerd-${cid}.scope/memory.max`]: '536870912\n',
      [`${pod}/cri-containerd-${cid}.scope/memory.current`]: '536866816\n',
      [`${pod}/cri-containerd-${cid}.scope/memory.peak`]: '536870912\n',
      [`${pod}/cri-containerd-${cid}.scope/memory.events`]:
        'low 0\nhigh 0\nmax 913\noom 4\noom_kill 4\noom_group_kill 0\n',
      'var/lib/kubelet/config.yaml':
        'kind: KubeletConfiguration\ncgroupDriver: systemd\npodPidsLimit: 1024\nsystemReserved:\n  pid: "1000"\nevictionHard:\n  pid.available: 5%\n',
      'run/containerd/containerd.sock': '',
      'dmesg.txt': [
        '[ 812.003311] cgroup: fork rejected by pids controller in /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod' +
          u +
          '.slice/cri-containerd-' +
          cid +
          '.scope',
        '[ 901.114200] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-' +
          cid +
          '.scope,mems_allowed=0,oom_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod' +
          u +
          '.slice/cri-containerd-' +
          cid +
          '.scope,task_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod' +
          u +
          '.slice/cri-containerd-' +
          cid +
          '.scope,task=java,pid=4242,uid=1000',
        '[ 901.114300] Memory cgroup out of memory: Killed process 4242 (java) total-vm:4000000kB, anon-rss:520000kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1200kB oom_score_adj:969',
        '[ 950.000001] VFS: file-max limit 65536 reached',
        '[ 951.000000] eth0: link up',
      ].join('\n'),
    });
    facts = await readNodeFacts(snap.root, { podUids: [uid] });
  });

  it('finds the systemd slice names and reads pids and memory at each level', () => {
    expect(facts.cgroupVersion).toBe(2);
    const p = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`;
    const pids = facts
      .cgroupChains!.filter((l) => l.controller === 'pids')
      .map((l) => ({ ...l, evidence: undefined }));
    expect(pids).toEqual([
      {
        path: `${p}/cri-containerd-${cid}.scope`,
        level: 'container',
        controller: 'pids',
        max: null,
        current: 1019,
        events: 0,
        eventsLocal: 0,
        evidence: undefined,
      },
      {
        path: p,
        level: 'pod',
        controller: 'pids',
        max: 1024,
        current: 1024,
        peak: 1024,
        events: 37,
        eventsLocal: 37,
        evidence: undefined,
      },
      {
        path: '/kubepods.slice/kubepods-burstable.slice',
        level: 'qos',
        controller: 'pids',
        max: null,
        evidence: undefined,
      },
      {
        path: '/kubepods.slice',
        level: 'kubepods',
        controller: 'pids',
        max: null,
        current: 1200,
        evidence: undefined,
      },
    ]);
    const mem = facts.cgroupChains!.find((l) => l.controller === 'memory' && l.level === 'container');
    expect(mem).toMatchObject({ max: 536870912, current: 536866816, peak: 536870912, events: 4 });
    expect(mem?.evidence).toContainEqual({
      source: `/sys/fs/cgroup${p}/cri-containerd-${cid}.scope/memory.events`,
      text: 'low 0; high 0; max 913; oom 4; oom_kill 4; oom_group_kill 0',
    });
  });

  it('puts the finite levels in node.limits with peak and events', () => {
    const pidsLimits = facts.limits.filter((l) => l.id === 'cgroup.pids');
    expect(pidsLimits.map((l) => [l.scope, l.used, l.max, l.ratio, l.peak, l.events])).toEqual([
      [
        `cgroup:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`,
        1024,
        1024,
        1,
        1024,
        37,
      ],
    ]);
    const memLimits = facts.limits
      .filter((l) => l.id === 'memory.cgroup')
      .map((l) => [l.scope.slice(-30), l.ratio, l.events]);
    expect(memLimits).toEqual([
      [`cri-containerd-${cid}.scope`.slice(-30), 1, 4],
      ['cgroup:/kubepods.slice'.slice(-30), 0.563, undefined],
    ]);
  });

  it('reads the kubelet config with zod and keeps each setting with its line', () => {
    expect(facts.kubelet?.cgroupDriver?.value).toBe('systemd');
    expect(facts.kubelet?.podPidsLimit).toEqual({
      value: 1024,
      evidence: { source: '/var/lib/kubelet/config.yaml', line: 3, text: 'podPidsLimit: 1024' },
    });
    expect(facts.kubelet?.systemReservedPid?.value).toBe('1000');
    expect(facts.kubelet?.evictionHard?.value).toEqual({ 'pid.available': '5%' });
    expect(facts.runtime?.value).toBe('containerd');
  });

  it('classifies the kernel log lines and names their cgroups', () => {
    expect(
      facts.kernelLines!.map((k) => [k.kind, k.cgroup?.slice(-20), k.evidence.source, k.evidence.line]),
    ).toEqual([
      ['pids-rejected', `${cid}.scope`.slice(-20), '/dmesg.txt', 1],
      ['memcg-oom', `${cid}.scope`.slice(-20), '/dmesg.txt', 2],
      ['memcg-oom', undefined, '/dmesg.txt', 3],
      ['file-max', undefined, '/dmesg.txt', 4],
    ]);
  });
});

describe('other layouts and broken snapshots', () => {
  it('finds a Guaranteed pod directly under kubepods (cgroupfs) and reads v1 memory', async () => {
    const uid = '11111111-2222-3333-4444-555555555555';
    const snap = writeTree({
      [`sys/fs/cgroup/pids/kubepods/pod${uid}/pids.max`]: '4096\n',
      [`sys/fs/cgroup/pids/kubepods/pod${uid}/pids.current`]: '12\n',
      [`sys/fs/cgroup/pids/kubepods/pod${uid}/pids.events`]: 'max 0\n',
      'sys/fs/cgroup/pids/kubepods/pids.max': 'max\n',
      [`sys/fs/cgroup/memory/kubepods/pod${uid}/memory.limit_in_bytes`]: '268435456\n',
      [`sys/fs/cgroup/memory/kubepods/pod${uid}/memory.usage_in_bytes`]: '268431360\n',
      [`sys/fs/cgroup/memory/kubepods/pod${uid}/memory.max_usage_in_bytes`]: '268435456\n',
      [`sys/fs/cgroup/memory/kubepods/pod${uid}/memory.failcnt`]: '1200\n',
      [`sys/fs/cgroup/memory/kubepods/pod${uid}/memory.oom_control`]:
        'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
      'sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes': '9223372036854771712\n',
    });
    try {
      const facts = await readNodeFacts(snap.root, { podUids: [uid] });
      expect(facts.cgroupChains!.map((l) => [l.controller, l.level, l.path, l.max, l.events])).toEqual([
        ['pids', 'pod', `/kubepods/pod${uid}`, 4096, 0],
        ['pids', 'kubepods', '/kubepods', null, undefined],
        ['memory', 'pod', `/kubepods/pod${uid}`, 268435456, 3],
        ['memory', 'kubepods', '/kubepods', null, undefined],
      ]);
    } finally {
      snap.cleanup();
    }
  });

  it('names every QoS class and runtime scope the kubelet and runtimes create', async () => {
    const [g, b] = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002'];
    const id = 'c'.repeat(64);
    const us = (u: string) => u.replace(/-/g, '_');
    const snap = writeTree({
      'sys/fs/cgroup/cgroup.controllers': 'pids memory\n',
      [`sys/fs/cgroup/kubepods.slice/kubepods-pod${us(g)}.slice/docker-${id}.scope/pids.max`]: 'max\n',
      [`sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${us(b)}.slice/crio-${id}.scope/pids.max`]:
        'max\n',
      [`sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${us(b)}.slice/crio-conmon-${id}.scope/pids.max`]:
        'max\n',
    });
    try {
      const facts = await readNodeFacts(snap.root, { podUids: [g, b] });
      const pids = facts.cgroupChains!.filter((l) => l.controller === 'pids').map((l) => [l.level, l.path]);
      expect(pids).toEqual([
        ['container', `/kubepods.slice/kubepods-pod${us(g)}.slice/docker-${id}.scope`],
        ['pod', `/kubepods.slice/kubepods-pod${us(g)}.slice`],
        ['kubepods', '/kubepods.slice'],
        [
          'container',
          `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${us(b)}.slice/crio-${id}.scope`,
        ],
        [
          'unit',
          `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${us(b)}.slice/crio-conmon-${id}.scope`,
        ],
        ['pod', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${us(b)}.slice`],
        ['qos', '/kubepods.slice/kubepods-besteffort.slice'],
      ]);
    } finally {
      snap.cleanup();
    }
  });

  it('kubelet flags override the config file, and a kernel event logged in two files counts once', async () => {
    const snap = writeTree({
      'var/lib/kubelet/config.yaml': 'kind: KubeletConfiguration\ncgroupDriver: systemd\npodPidsLimit: -1\n',
      'var/lib/kubelet/kubeadm-flags.env':
        'KUBELET_KUBEADM_ARGS="--network-plugin=cni --pod-max-pids=4096 --pod-infra-container-image=k8s.gcr.io/pause:3.2"\n',
      'var/log/messages':
        'Mar  9 07:41:55 node1 kernel: cgroup: fork rejected by pids controller in /kubepods/burstable/podx/abc\n',
      'var/log/kern.log':
        'Mar  9 07:41:55 node1 kernel: [812.003311] cgroup: fork rejected by pids controller in /kubepods/burstable/podx/abc\n',
    });
    try {
      const facts = await readNodeFacts(snap.root);
      expect(facts.kubelet?.podPidsLimit).toEqual({
        value: 4096,
        evidence: { source: '/var/lib/kubelet/kubeadm-flags.env', line: 1, text: '--pod-max-pids=4096' },
      });
      expect(facts.kubelet?.cgroupDriver?.value).toBe('systemd');
      expect(facts.kernelLines!.map((k) => [k.kind, k.cgroup, k.evidence.source])).toEqual([
        ['pids-rejected', '/kubepods/burstable/podx/abc', '/var/log/kern.log'],
      ]);
    } finally {
      snap.cleanup();
    }
  });

  it('a missing root, or a file given as root, is one sentence and no facts', async () => {
    const missing = await readNodeFacts('/nonexistent/podmortem-root');
    expect(missing).toEqual({
      root: '/nonexistent/podmortem-root',
      limits: [],
      unreadable: [
        '--node-root /nonexistent/podmortem-root: no such file or directory; no node evidence was read.',
      ],
    });
    const file = await readNodeFacts('examples/calico-node-newosproc/calico-node.log');
    expect(file.unreadable).toEqual([
      '--node-root examples/calico-node-newosproc/calico-node.log: is not a directory; no node evidence was read.',
    ]);
  });

  it('an empty folder gives no facts and one sentence per missing thing, never a throw', async () => {
    const snap = writeTree({});
    try {
      const facts = await readNodeFacts(snap.root, { podUids: ['deadbeef-0000-0000-0000-000000000000'] });
      expect(facts.limits).toEqual([]);
      expect(facts.pidMax).toBeUndefined();
      expect(facts.unreadable).toContain('/proc/sys/kernel/pid_max: no such file or directory.');
      expect(facts.unreadable.some((s) => s.startsWith('/sys/fs/cgroup: no cgroup v2'))).toBe(true);
      expect(
        facts.unreadable.every((s) => /[.)]$/.test(s) && !s.includes('\n') && !/at .*\.js:\d+/.test(s)),
      ).toBe(true);
    } finally {
      snap.cleanup();
    }
  });

  it('garbage and wrong types in sysctls and the kubelet config become sentences', async () => {
    const snap = writeTree({
      'proc/sys/kernel/pid_max': '\u0000\u00ff garbage\n',
      'proc/loadavg': 'not a loadavg\n',
      'var/lib/kubelet/config.yaml': 'podPidsLimit: "lots"\n',
      'sys/fs/cgroup/pids/kubepods/pids.max': 'max\n',
    });
    try {
      const facts = await readNodeFacts(snap.root, { podUids: ['99999999-8888-7777-6666-555555555555'] });
      expect(facts.pidMax).toBeUndefined();
      expect(facts.tasks).toBeUndefined();
      expect(facts.kubelet).toEqual({ source: '/var/lib/kubelet/config.yaml' });
      expect(facts.unreadable).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^\/proc\/sys\/kernel\/pid_max: expected a limit \(a whole number from 1\), found/,
          ),
          '/proc/loadavg: not in the "a b c running/total lastpid" format; task count unknown.',
          '/var/lib/kubelet/config.yaml: not a KubeletConfiguration (podPidsLimit has the wrong type); its settings were not used.',
          expect.stringMatching(
            /^No cgroup of pod 99999999-8888-7777-6666-555555555555 under \/sys\/fs\/cgroup/,
          ),
        ]),
      );
    } finally {
      snap.cleanup();
    }
  });

  it('a negative or zero limit, or a garbage pids.max, is unknown: never unlimited, never exhausted', async () => {
    const uid = '99999999-8888-7777-6666-555555555555';
    const snap = writeTree({
      'proc/sys/kernel/pid_max': '-1\n',
      'proc/sys/kernel/threads-max': '0\n',
      'proc/loadavg': '0.1 0.1 0.1 1/500 42\n',
      'sys/fs/cgroup/pids/kubepods/pids.max': 'max\n',
      [`sys/fs/cgroup/pids/kubepods/pod${uid}/pids.max`]: 'lots\n',
      [`sys/fs/cgroup/pids/kubepods/pod${uid}/pids.current`]: '12\n',
    });
    try {
      const facts = await readNodeFacts(snap.root, { podUids: [uid] });
      expect(facts.pidMax).toBeUndefined();
      expect(facts.threadsMax).toBeUndefined();
      expect(facts.limits.find((l) => l.id === 'kernel.pid_max')).toBeUndefined();
      const pod = facts.cgroupChains!.find((l) => l.level === 'pod')!;
      expect(pod.max).toBeUndefined(); // not null: null would mean "max", i.e. unlimited
      expect(pod.current).toBe(12);
      expect(facts.unreadable).toEqual(
        expect.arrayContaining([
          '/proc/sys/kernel/pid_max: expected a limit (a whole number from 1), found "-1"; it is unknown.',
          '/proc/sys/kernel/threads-max: expected a limit (a whole number from 1), found "0"; it is unknown.',
          `/sys/fs/cgroup/pids/kubepods/pod${uid}/pids.max: "lots" is not a limit; this level's limit is unknown.`,
        ]),
      );
    } finally {
      snap.cleanup();
    }
  });
});
