// Kernel log lines (dmesg, journalctl -k, /var/log/messages) given as input: OOM kills (memory cgroup
// and global), the one-line oom-kill summary that names the cgroups, pids controller rejections and
// fs.file-max. Unlike a program's own message, these lines are the kernel saying which limit it
// enforced, so they are proof for the cause they name (limits.md §1.3, §5.1, §5.3).
import type { Fields, Raise, SignatureDef } from '../types.js';

const memcgOom: SignatureDef = {
  id: 'kernel.memcg-oom',
  family: 'kernel',
  title: 'Kernel OOM killer: memory cgroup limit reached',
  keywords: ['Memory cgroup out of memory'],
  // New: "Memory cgroup out of memory: Killed process 63214 (uwsgi) total-vm:..."; old: "Memory cgroup out of memory: Kill process 24572 (java) score 0 or sacrifice child"
  pattern: /Memory cgroup out of memory: Kill(?:ed)? process (\d{1,10}) \(([^)\n]{1,64})\)/,
  fields: (m): Fields => ({ pid: Number(m[1]), comm: m[2]! }),
  raises: (f) => [
    {
      cause: 'memory.cgroup',
      weight: 0.95,
      why: `The kernel killed ${String(f.comm)} (pid ${String(f.pid)}) because a memory cgroup reached its limit: the kill names the limit it enforced.`,
    },
  ],
  docs: {
    what: 'The OOM killer ran inside a memory cgroup that reached memory.max (v2) or memory.limit_in_bytes (v1) and killed the process with the highest badness score in it. The process gets SIGKILL and prints nothing; Kubernetes reports the container as OOMKilled, exit code 137, when the runtime saw the OOM event.',
    confirm: [
      'The "Task in ... killed as a result of limit of ..." line or the oom-kill summary names the cgroup; compare it with the pod\'s cgroup path.',
      'memory.events oom_kill (v2) or memory.failcnt (v1) of that cgroup counts the kills.',
    ],
    fix: [
      'Raise the container memory limit, or lower what the process uses (heap flags sized from the limit, fewer workers).',
    ],
    sources: [
      'torvalds/linux:mm/oom_kill.c (oom_kill_process, __oom_kill_process)',
      'https://github.com/reportportal/kubernetes/issues/203',
      'https://github.com/kubernetes/kubernetes/issues/56891',
    ],
  },
  cases: [
    {
      source:
        'podmortem lab: python3 allocating 100 MiB in a v1 memory cgroup limited to 32 MiB (kernel 6.18)',
      log: [
        '[  981.857669] Memory cgroup out of memory: Killed process 17744 (python3) total-vm:118968kB, anon-rss:32488kB, file-rss:6604kB, shmem-rss:0kB, UID:0 pgtables:124kB oom_score_adj:0',
      ],
      fields: { pid: 17744, comm: 'python3' },
    },
    {
      source: 'https://github.com/reportportal/kubernetes/issues/203',
      log: [
        '[ 7063.247407] Memory cgroup out of memory: Killed process 63214 (uwsgi) total-vm:3149468kB, anon-rss:164992kB, file-rss:52176kB, shmem-rss:92kB, UID:0 pgtables:1372kB oom_score_adj:986',
      ],
      fields: { pid: 63214, comm: 'uwsgi' },
    },
    {
      source: 'https://github.com/kubernetes/kubernetes/issues/83044',
      log: [
        'Sep 20 15:21:56 ida-lj4700146 kernel: Memory cgroup out of memory: Kill process 1249 (runc:[2:INIT]) score 978 or sacrifice child',
      ],
      fields: { pid: 1249, comm: 'runc:[2:INIT]' },
    },
  ],
  nonMatching: ['Out of memory: Killed process 1234 (java) total-vm:1kB'],
};

const FIELD = (name: string): RegExp => new RegExp(`[,:]${name}=([^,\\s]{0,512})`);

const oomKillSummary: SignatureDef = {
  id: 'kernel.oom-kill',
  family: 'kernel',
  title: 'Kernel oom-kill summary (constraint, cgroups, task)',
  keywords: ['oom-kill:constraint='],
  // oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=...,mems_allowed=0,oom_memcg=/kubepods/...,task_memcg=/kubepods/.../<id>,task=java,pid=1234,uid=1000
  pattern: /oom-kill:constraint=(CONSTRAINT_[A-Z_]{1,20})/,
  fields: (m): Fields => {
    const out: Fields = { constraint: m[1]! };
    for (const [key, name] of [
      ['oomMemcg', 'oom_memcg'],
      ['taskMemcg', 'task_memcg'],
      ['task', 'task'],
    ] as const) {
      const f = FIELD(name).exec(m.input);
      if (f && f[1]) out[key] = f[1];
    }
    for (const [key, name] of [
      ['pid', 'pid'],
      ['uid', 'uid'],
    ] as const) {
      const f = FIELD(name).exec(m.input);
      if (f && /^\d{1,10}$/.test(f[1]!)) out[key] = Number(f[1]);
    }
    return out;
  },
  raises: (f): Raise[] => {
    const who = `${String(f.task ?? 'a task')}${f.pid !== undefined ? ` (pid ${String(f.pid)})` : ''}`;
    if (f.constraint === 'CONSTRAINT_MEMCG') {
      return [
        {
          cause: 'memory.cgroup',
          weight: 0.95,
          why: `The kernel killed ${who} because the memory cgroup ${String(f.oomMemcg ?? '(unnamed)')} reached its limit (constraint CONSTRAINT_MEMCG).`,
        },
      ];
    }
    if (f.constraint === 'CONSTRAINT_NONE') {
      return [
        {
          cause: 'memory.node',
          weight: 0.95,
          why: `The kernel killed ${who} because the whole node ran out of memory (constraint CONSTRAINT_NONE: no cgroup limit involved).`,
        },
      ];
    }
    return [
      {
        cause: 'memory.node',
        weight: 0.6,
        why: `The kernel killed ${who} under ${String(f.constraint)}: the memory of a NUMA node set (cpuset or mempolicy) ran out.`,
      },
    ];
  },
  docs: {
    what: "Since about Linux 4.19 every OOM kill ends with one summary line: the constraint (CONSTRAINT_MEMCG for a cgroup limit, CONSTRAINT_NONE for the whole node, CONSTRAINT_CPUSET / CONSTRAINT_MEMORY_POLICY for NUMA sets), the cgroup whose limit was hit (oom_memcg), the victim's cgroup (task_memcg), its command, pid and uid. oom_memcg at the pod level means the pod limit, at the container level the container limit.",
    confirm: ['Map task_memcg to the pod (pod<uid>) and container id; check memory.events of oom_memcg.'],
    fix: [
      'CONSTRAINT_MEMCG: raise the limit of the cgroup named by oom_memcg or reduce usage. CONSTRAINT_NONE: the node is overcommitted: set memory requests/limits and kubelet eviction thresholds.',
    ],
    sources: ['torvalds/linux:mm/oom_kill.c (dump_oom_summary)', 'shared/knowledge/limits.md §5.3'],
  },
  cases: [
    {
      source:
        'podmortem lab: python3 allocating 100 MiB in a v1 memory cgroup limited to 32 MiB (kernel 6.18)',
      log: [
        '[  981.857653] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/h1lab,task_memcg=/h1lab,task=python3,pid=17744,uid=0',
      ],
      fields: {
        constraint: 'CONSTRAINT_MEMCG',
        oomMemcg: '/h1lab',
        taskMemcg: '/h1lab',
        task: 'python3',
        pid: 17744,
        uid: 0,
      },
    },
    {
      source: 'https://github.com/awslabs/amazon-eks-ami/pull/419',
      log: [
        '[  147.358790] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/podruntime.slice,task_memcg=/podruntime.slice/kubelet.service,task=kubelet,pid=989,uid=0',
      ],
      fields: { constraint: 'CONSTRAINT_MEMCG', oomMemcg: '/podruntime.slice', task: 'kubelet', pid: 989 },
    },
  ],
};

const globalOom: SignatureDef = {
  id: 'kernel.global-oom',
  family: 'kernel',
  title: 'Kernel OOM killer: the node ran out of memory',
  keywords: ['Out of memory: Kill'],
  pattern: /Out of memory: Kill(?:ed)? process (\d{1,10}) \(([^)\n]{1,64})\)/,
  fields: (m): Fields => ({ pid: Number(m[1]), comm: m[2]! }),
  raises: (f) => [
    {
      cause: 'memory.node',
      weight: 0.95,
      why: `The kernel killed ${String(f.comm)} (pid ${String(f.pid)}) because the whole node ran out of memory, not a cgroup limit.`,
    },
  ],
  docs: {
    what: 'A global OOM: the node had no reclaimable memory left and the OOM killer picked a victim anywhere on it, whatever its container limit. Pods without memory limits and system daemons outside kubepods are the usual cause.',
    confirm: [
      "free -m and the kubelet's allocatable memory; the oom-kill summary line shows CONSTRAINT_NONE.",
    ],
    fix: [
      'Set memory requests and limits so the scheduler cannot overcommit the node; reserve memory for the system (kubelet systemReserved/kubeReserved) and set eviction thresholds.',
    ],
    sources: [
      'torvalds/linux:mm/oom_kill.c (out_of_memory)',
      'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
    ],
  },
  cases: [
    {
      source: 'https://github.com/docker/for-linux/issues/1001',
      log: [
        'May 15 23:09:30 ubuntu-s-1vcpu-2gb-ams3-01 kernel: [  518.050606] Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB, file-rss:3028kB, shmem-rss:0kB',
      ],
      fields: { pid: 15784, comm: 'python3' },
    },
  ],
  nonMatching: [
    '[ 7063.247407] Memory cgroup out of memory: Killed process 63214 (uwsgi) total-vm:3149468kB',
  ],
};

const pidsRejected: SignatureDef = {
  id: 'kernel.pids-rejected',
  family: 'kernel',
  title: 'Kernel: fork rejected by the pids controller',
  keywords: ['fork rejected by pids controller'],
  pattern: /fork rejected by pids controller in (\S{1,1024})/,
  fields: (m): Fields => ({ cgroup: m[1]! }),
  raises: (f) => [
    {
      cause: 'cgroup.pids',
      weight: 1,
      why: `The kernel refused a fork or clone because a pids.max in the chain of ${String(f.cgroup)} was reached (the path is the forking task's cgroup; the limit may sit on an ancestor such as the pod or a systemd slice).`,
    },
  ],
  docs: {
    what: 'pids_try_charge() failed at some level of the cgroup chain and fork/clone returned EAGAIN. The kernel prints this once per cgroup (the first failure only), so its absence proves nothing, but its presence proves a pids limit was hit.',
    confirm: [
      'Read pids.max, pids.current, pids.peak and pids.events at every level from the named cgroup up to kubepods (or the systemd slice).',
    ],
    fix: [
      'Raise the level that is full: kubelet podPidsLimit (pod), the runtime pids limit (container scope), systemd TasksMax / DefaultTasksMax (units and slices); or find the task leak.',
    ],
    sources: [
      'torvalds/linux:kernel/cgroup/pids.c (pids_can_fork, pids_event)',
      'https://github.com/Icinga/icinga2/issues/4918',
      'https://github.com/twosigma/nsncd/issues/24',
      'shared/knowledge/limits.md §1.3',
    ],
  },
  cases: [
    {
      source: 'https://github.com/Icinga/icinga2/issues/4918',
      log: [
        '[Wed Sep 30 03:58:46 2020] cgroup: fork rejected by pids controller in /system.slice/icinga2.service',
      ],
      fields: { cgroup: '/system.slice/icinga2.service' },
    },
    {
      source: 'https://github.com/twosigma/nsncd/issues/24',
      log: ['cgroup: fork rejected by pids controller in /system.slice/nsncd.service'],
      fields: { cgroup: '/system.slice/nsncd.service' },
    },
    {
      source: 'podmortem lab: bash starting 7 sleeps in a v1 pids cgroup with pids.max 5 (kernel 6.18)',
      log: ['[  979.550657] cgroup: fork rejected by pids controller in /h1lab'],
      fields: { cgroup: '/h1lab' },
    },
  ],
};

const fileMax: SignatureDef = {
  id: 'kernel.file-max',
  family: 'kernel',
  title: 'Kernel: VFS file-max limit reached',
  keywords: ['VFS: file-max limit'],
  pattern: /VFS: file-max limit (\d{1,20}) reached/,
  fields: (m): Fields => ({ limit: Number(m[1]) }),
  raises: (f) => [
    {
      cause: 'fs.file-max',
      weight: 1,
      why: `The kernel reports that the node holds fs.file-max (${String(f.limit)}) open files: every unprivileged open fails with ENFILE.`,
    },
  ],
  docs: {
    what: 'alloc_empty_file() refused a new struct file because the node-wide count reached fs.file-max (processes with CAP_SYS_ADMIN are exempt). Rate-limited, so it repeats while the condition lasts.',
    confirm: ['cat /proc/sys/fs/file-nr; find the holders (ls /proc/*/fd | wc -l per process).'],
    fix: ['sysctl -w fs.file-max=<higher> persisted in /etc/sysctl.d/, and fix the leak.'],
    sources: [
      'torvalds/linux:fs/file_table.c (alloc_empty_file)',
      'https://github.com/leptonai/gpud/pull/224',
      'https://github.com/SukkaW/Koolshare-Clash/issues/14',
    ],
  },
  cases: [
    {
      source: 'https://github.com/SukkaW/Koolshare-Clash/issues/14',
      log: ['Wed Mar 27 02:55:10 2019 kern.info kernel: [240560.532035] VFS: file-max limit 51200 reached'],
      fields: { limit: 51200 },
    },
    {
      source: 'https://github.com/leptonai/gpud/pull/224',
      log: ['[Sun Dec  1 14:54:40 2024] VFS: file-max limit 1000000 reached'],
      fields: { limit: 1000000 },
    },
  ],
};

/**
 * Raised by every OOM line that does not say whose limit it was: the header "<comm> invoked
 * oom-killer" and a victim line without its cause ("Killed process N"). The lines the kernel prints next (Memory cgroup out of memory, the oom-kill summary's
 * constraint) decide; these keep both open.
 */
const EITHER_OOM = (what: string): Raise[] => [
  {
    cause: 'memory.cgroup',
    weight: 0.6,
    why: `${what}: a memory cgroup at its limit is the usual trigger in a container, and the lines after it (Memory cgroup out of memory, CONSTRAINT_MEMCG) say so.`,
  },
  {
    cause: 'memory.node',
    weight: 0.5,
    why: `${what}: the whole node running out of memory (CONSTRAINT_NONE, "Out of memory: Killed process") invokes the same killer.`,
  },
];

const oomInvoked: SignatureDef = {
  id: 'kernel.oom-invoked',
  family: 'kernel',
  title: 'Kernel OOM killer invoked (the header of an OOM report)',
  keywords: ['invoked oom-killer'],
  // "java invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=-998"; the command may hold
  // spaces ("CPU 0/KVM invoked oom-killer"), so only what follows the words is parsed.
  pattern: /invoked oom-killer: gfp_mask=(0x[0-9a-f]{1,16})[^\n]{0,120}?order=(-?\d{1,2})/,
  fields: (m): Fields => ({ gfpMask: m[1]!, order: Number(m[2]) }),
  raises: () => EITHER_OOM('The kernel invoked the OOM killer'),
  docs: {
    what: 'The first line of every kernel OOM report (mm/oom_kill.c dump_header): the task whose allocation failed invoked the OOM killer. It does not say which memory ran out; the report goes on with the memcg usage lines and a stack with mem_cgroup_out_of_memory (a cgroup limit) or out_of_memory from the page allocator (the node), then the victim.',
    confirm: [
      "dmesg -T | grep -A40 'invoked oom-killer'   # Memory cgroup out of memory / oom-kill:constraint= name the limit",
    ],
    fix: ['See memory.cgroup and memory.node.'],
    sources: [
      'torvalds/linux:mm/oom_kill.c (dump_header: "%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d, oom_score_adj=%hd")',
      'https://github.com/shakenfist/shakenfist/issues/177',
      'https://github.com/moby/moby/issues/38352',
    ],
  },
  cases: [
    {
      source: 'https://github.com/shakenfist/shakenfist/issues/177 (node RAM overcommitted by VMs)',
      log: [
        'Jul 16 11:53:24 sau-3f41e-or kernel: [1310061.327439] CPU 0/KVM invoked oom-killer: gfp_mask=0x15000c0(GFP_KERNEL_ACCOUNT), nodemask=(null), order=0, oom_score_adj=0',
      ],
      fields: { gfpMask: '0x15000c0', order: 0 },
    },
    {
      source:
        'podmortem lab: python3 allocating 100 MiB in a v1 memory cgroup limited to 32 MiB (kernel 6.18)',
      log: [
        '[21678.881431] python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
      ],
      fields: { gfpMask: '0xcc0', order: 0 },
    },
    {
      source: 'https://github.com/moby/moby/issues/38352 (a container at its memory limit, kernel 3.10)',
      log: [
        'Dec 11 10:48:09 fkhan-test-kernelv3 kernel: thrash invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0',
      ],
      fields: { gfpMask: '0xd0', order: 0 },
    },
  ],
  nonMatching: ['vm.oom_kill_allocating_task = 0'],
};

const memcgReport: SignatureDef = {
  id: 'kernel.memcg-report',
  family: 'kernel',
  title:
    "Kernel OOM report lines only a memory cgroup's OOM prints (usage/limit/failcnt, stats, mem_cgroup_out_of_memory)",
  keywords: ['memory: usage ', 'killed as a result of limit', 'mem_cgroup_o', 'Memory cgroup stats for'],
  // mem_cgroup_print_oom_meminfo: "memory: usage 1048576kB, limit 1048576kB, failcnt 141"; v1
  // "Task in /kubepods/x killed as a result of limit of /kubepods"; the stack frames of a memcg OOM.
  pattern:
    /(?<![+\w])memory: usage (\d{1,20})kB, limit (\d{1,20})kB, failcnt (\d{1,20})|Task in (\S{1,1024}) killed as a result of limit of (\S{1,1024})|\bmem_cgroup_(?:out_of_memory|oom_synchronize)\+0x|Memory cgroup stats for (\S{1,1024})/,
  fields: (m): Fields => ({
    ...(m[1] !== undefined ? { usageKb: Number(m[1]), limitKb: Number(m[2]), failcnt: Number(m[3]) } : {}),
    ...(m[4] !== undefined ? { cgroup: m[4], limitCgroup: m[5]! } : {}),
    ...(m[6] !== undefined ? { cgroup: m[6].replace(/:$/, '') } : {}),
  }),
  raises: (f) => [
    {
      cause: 'memory.cgroup',
      weight: 0.9,
      why:
        typeof f.usageKb === 'number'
          ? `The kernel printed a memory cgroup's usage against its limit (${String(f.usageKb)} kB of ${String(f.limitKb)} kB, failcnt ${String(f.failcnt)}): it does so only in the report of an OOM inside a memory cgroup.`
          : 'The kernel printed a line only the OOM report of a memory cgroup holds (the cgroup whose limit was hit, its stats, or mem_cgroup_out_of_memory on the stack).',
    },
  ],
  docs: {
    what: "When a memory cgroup reaches its limit and cannot reclaim, the OOM report prints the cgroup's usage, limit and failcnt (mem_cgroup_print_oom_meminfo), on cgroup v1 the cgroup whose limit was hit, its statistics, and a stack through mem_cgroup_out_of_memory or mem_cgroup_oom_synchronize. A global OOM prints none of these.",
    confirm: ['Read the whole report: dmesg -T | grep -B5 -A40 "invoked oom-killer".'],
    fix: ['See memory.cgroup.'],
    sources: [
      'torvalds/linux:mm/memcontrol.c (mem_cgroup_print_oom_meminfo, mem_cgroup_out_of_memory)',
      'https://github.com/linux-test-project/ltp/issues/1080',
      'https://github.com/kubernetes/kubernetes/issues/56891',
    ],
  },
  cases: [
    {
      source: 'https://github.com/linux-test-project/ltp/issues/1080 (LTP memcg stress test, kernel 3.10)',
      log: [
        'Aug 17 06:27:51 hgzmm3cs239 kernel: Memory cgroup stats for /17: cache:4KB rss:0KB rss_huge:0KB mapped_file:4KB swap:0KB inactive_anon:0KB active_anon:0KB inactive_file:0KB active_file:0KB unevictable:0KB',
      ],
      fields: { cgroup: '/17' },
    },
    {
      source:
        'https://github.com/kubernetes/kubernetes/issues/56891 (a Guaranteed pod at its limit, kernel 3.10)',
      log: ['[Wed Dec  6 23:54:11 2017]  [<ffffffff811d3a85>] mem_cgroup_oom_synchronize+0x555/0x580'],
    },
    {
      source:
        'podmortem lab: python3 allocating 100 MiB in a v1 memory cgroup limited to 32 MiB (kernel 6.18)',
      log: ['[21678.881564] memory: usage 32768kB, limit 32768kB, failcnt 131'],
      fields: { usageKb: 32768, limitKb: 32768, failcnt: 131 },
    },
    {
      source:
        'podmortem lab: python3 allocating 100 MiB in a v1 memory cgroup limited to 32 MiB (kernel 6.18)',
      log: ['[21678.881507]  mem_cgroup_out_of_memory+0xc0/0x110'],
    },
  ],
  nonMatching: [
    'memory+swap: usage 4kB, limit 9007199254740988kB, failcnt 0',
    'swap: usage 0kB, limit 9007199254740988kB, failcnt 0',
    'kmem: usage 0kB, limit 9007199254740988kB, failcnt 0',
  ],
};

const oomVictim: SignatureDef = {
  id: 'kernel.oom-victim',
  family: 'kernel',
  title: 'Kernel OOM killer: a victim killed (the line does not say whose limit)',
  keywords: ['Killed process'],
  // Kernels before 4.19 print the cause and the victim on two lines ("Memory cgroup out of memory:
  // Kill process N (x) score S or sacrifice child", then "Killed process N (x) total-vm:..."), and a
  // grep for "Killed process" keeps only the second. The one-line forms with the cause are the
  // memcg-oom and global-oom signatures. oom_reaper's "reaped process" line always follows a kill
  // line of the same report, so it adds nothing and is not taken.
  pattern: /(?<![Oo]ut of memory: )Killed process (\d{1,10}) \(([^)\n]{1,64})\)/,
  fields: (m): Fields => ({ pid: Number(m[1]), comm: m[2]! }),
  raises: (f) => EITHER_OOM(`The kernel's OOM killer killed ${String(f.comm)} (pid ${String(f.pid)})`),
  docs: {
    what: 'The OOM killer sent SIGKILL to a process. Which memory ran out is on the line before it ("Memory cgroup out of memory" or "Out of memory") or in the oom-kill summary.',
    confirm: ["dmesg -T | grep -B2 'Killed process'   # the line before names the constraint"],
    fix: ['See memory.cgroup and memory.node.'],
    sources: [
      'torvalds/linux:mm/oom_kill.c (__oom_kill_process)',
      'https://github.com/linux-test-project/ltp/issues/1080',
    ],
  },
  cases: [
    {
      source: 'https://github.com/linux-test-project/ltp/issues/1080',
      log: [
        'Aug 17 06:27:51 hgzmm3cs239 kernel: Killed process 33421 (memcg_process), UID 0, total-vm:7304kB, anon-rss:80kB, file-rss:340kB, shmem-rss:0kB',
      ],
      fields: { pid: 33421, comm: 'memcg_process' },
    },
    {
      source:
        'mesosphere/dcos-docs-site:pages/1.11/tutorials/dcos-debug/index.md (a Marathon app leaking memory up to its limit, kernel 3.10)',
      log: [
        'Mar 27 01:15:36 ip-10-0-1-103.us-west-2.compute.internal kernel: Killed process 16883 (oomApp) total-vm:4575664kB, anon-rss:57784kB, file-rss:1240kB, shmem-rss:0kB',
      ],
      fields: { pid: 16883, comm: 'oomApp' },
    },
  ],
  nonMatching: [
    'Memory cgroup out of memory: Killed process 63214 (uwsgi) total-vm:3149468kB',
    'Out of memory: Killed process 15784 (python3) total-vm:11964kB',
    '[  518.053407] oom_reaper: reaped process 15784 (python3), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
  ],
};

export const signatures: SignatureDef[] = [
  memcgOom,
  oomKillSummary,
  globalOom,
  pidsRejected,
  fileMax,
  oomInvoked,
  memcgReport,
  oomVictim,
];
