// Remediation that fits what is known, through the real recognizer and the cause modules: the
// language runtime the evidence shows picks the memory fix (sized from the limit that applied), the
// node's container runtime picks the OOMKilled wording, units and config files, and the arithmetic
// and wording of the notes say exactly what the kernel does (kernel/pid.c: alloc_pid takes numbers
// from [1, pid_max), so pid_max 32768 allows PIDs 1 to 32767).
import { describe, expect, it } from 'vitest';
import type { CauseAssessment, ProcessFacts } from '../../../src/evidence/types.js';
import { assess, fact, node, pidsLevel, said, SEED_LOG } from './helpers.js';
import { loadavg, pidMax, threadsMax } from '../../../src/knowledge/causes/shared/case-facts.js';

/** What kubectl describe prints for a container killed at its memory limit (jitsu-chart#76). */
const OOMKILLED = [
  '    Last State:     Terminated',
  '      Reason:       OOMKilled',
  '      Exit Code:    137',
];
const MI = 2 ** 20;

const limit = (mi: number): ProcessFacts['memoryLimit'] =>
  fact(mi * MI, 'pod shop/app-1 (containers[app].resources.limits.memory)', `memory: ${mi}Mi`);
const image = (name: string): ProcessFacts['image'] =>
  fact(name, 'pod shop/app-1 (containers[app].image)', `image: ${name}`);
const subject = { namespace: 'shop', pod: 'app-1', container: 'app', owner: 'Deployment shop/app' };

const fixText = (a: CauseAssessment): string =>
  a.remediation.map((r) => [r.summary, ...r.commands].join('\n')).join('\n');

function oomKilled(process: ProcessFacts, lines: string[] = OOMKILLED, runtime?: string): CauseAssessment {
  return assess('memory.cgroup', {
    lines,
    subject,
    process,
    ...(runtime ? { node: node({ runtime: fact(runtime, 'node n1 (status.nodeInfo)') }) } : {}),
  });
}

describe('memory.cgroup: the fix of the language runtime the evidence shows, sized from the limit', () => {
  it('a JVM image: MaxRAMPercentage leaving 256 MiB of non-heap room, never GOMEMLIMIT', () => {
    const a = oomKilled({ memoryLimit: limit(768), image: image('eclipse-temurin:17-jre') });
    expect(a.verdict).toBe('confirmed');
    const fix = fixText(a);
    expect(fix).toContain('-XX:MaxRAMPercentage=65 caps the heap at 499 MiB and leaves 269 MiB');
    expect(fix).toContain(
      'kubectl set env -n shop deployment/app -c app JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=65',
    );
    expect(fix).toContain('raise the memory limit from 768Mi');
    expect(fix).toContain('--limits=memory=1152Mi');
    expect(fix).not.toMatch(/GOMEMLIMIT|NODE_OPTIONS/);
    expect(a.evidence.some((e) => e.text === 'memory: 768Mi')).toBe(true);
  });

  it('-Xmx already set: the fix sets -Xmx (it wins over MaxRAMPercentage) and says what it gives now', () => {
    const a = oomKilled({
      memoryLimit: limit(1024),
      runtimeEnv: [
        fact('JAVA_TOOL_OPTIONS=-Xmx900m', 'pod shop/app-1 (containers[app].env[JAVA_TOOL_OPTIONS])'),
      ],
    });
    const fix = fixText(a);
    // 1024 - 256 = 75%: 768 MiB of heap.
    expect(fix).toContain('JAVA_TOOL_OPTIONS="-Xmx768m');
    expect(fix).toContain(
      'It is set to -Xmx900m now (-Xmx wins over MaxRAMPercentage): a heap of up to 900 MiB, leaving 124 MiB.',
    );
  });

  it('a Go crash: GOMEMLIMIT at 90% of the limit', () => {
    const a = oomKilled({ memoryLimit: limit(512) }, [...OOMKILLED, ...SEED_LOG]);
    const fix = fixText(a);
    expect(fix).toContain('GOMEMLIMIT=460MiB');
    expect(fix).toContain('The container runs the Go runtime (the go.newosproc line of its output)');
    expect(fix).not.toMatch(/MaxRAMPercentage|NODE_OPTIONS/);
  });

  it('Node.js (official image), Python, .NET: their own setting each; calico/node is not Node.js', () => {
    expect(fixText(oomKilled({ memoryLimit: limit(512), image: image('node:20-alpine') }))).toContain(
      'NODE_OPTIONS=--max-old-space-size=384',
    );
    const py = fixText(oomKilled({ memoryLimit: limit(512), image: image('python:3.12-slim') }));
    expect(py).toContain('Python has no heap cap to set');
    expect(py).not.toMatch(/GOMEMLIMIT|MaxRAMPercentage/);
    // 60% of 1 GiB = 644245094 bytes = 0x26666666.
    expect(
      fixText(oomKilled({ memoryLimit: limit(1024), image: image('mcr.microsoft.com/dotnet/aspnet:8.0') })),
    ).toContain('DOTNET_GCHeapHardLimit=0x26666666');
    const calico = fixText(oomKilled({ memoryLimit: limit(512), image: image('calico/node:v3.8.8-1') }));
    expect(calico).toContain('does not show which language runtime');
  });

  it('nothing shows the runtime: it says so and offers each common one, labelled', () => {
    const fix = fixText(oomKilled({ memoryLimit: limit(768) }));
    expect(fix).toContain('The evidence does not show which language runtime the container runs');
    expect(fix).toMatch(/MaxRAMPercentage=65"\s+# a JVM/);
    expect(fix).toMatch(/GOMEMLIMIT=691MiB\s+# Go 1\.19\+/);
  });
});

describe('runtime.heap: the cap the runtime named', () => {
  it('Direct buffer memory -> MaxDirectMemorySize; Metaspace -> MaxMetaspaceSize', () => {
    // Messages as the JDK prints them (java.nio.Bits.reserveMemory, the metaspace allocator).
    const direct = assess('runtime.heap', {
      lines: ['Exception in thread "main" java.lang.OutOfMemoryError: Direct buffer memory'],
      subject,
      process: { memoryLimit: limit(2048) },
    });
    expect(direct.verdict).toBe('confirmed');
    expect(fixText(direct)).toContain('-XX:MaxDirectMemorySize=204m');
    const meta = assess('runtime.heap', {
      lines: ['java.lang.OutOfMemoryError: Metaspace'],
      subject,
      process: {},
    });
    expect(fixText(meta)).toContain('-XX:MaxMetaspaceSize=');
    expect(fixText(meta)).not.toContain('NODE_OPTIONS');
  });
});

describe('threads: where the runtime the evidence shows gets its threads, and what bounds them', () => {
  const chain = [pidsLevel('pod', '/kubepods/burstable/pod1', { max: 1024, current: 1000 })];
  const pids = (lines: string[]) =>
    fixText(assess('cgroup.pids', { lines, subject, node: node({ cgroupChains: chain }) }));
  it('a JVM that could not start a thread is told about its pools, a Go program about SetMaxThreads', () => {
    // The JDK's message since JDK 11 (hotspot os_linux.cpp), as printed by the JVM.
    const jvm = pids([
      'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached',
    ]);
    expect(jvm).toContain('Every Java platform thread is a task');
    expect(jvm).toContain("kubectl exec -n shop app-1 -c app -- sh -c 'ls /proc/1/task | wc -l'");
    expect(jvm).not.toContain('SetMaxThreads');
    const go = pids(SEED_LOG);
    expect(go).toContain('debug.SetMaxThreads(n)');
    expect(go).not.toContain('Java');
  });
});

describe("the node's container runtime", () => {
  it('names who recorded OOMKilled: Docker, containerd, CRI-O, or all three when unknown', () => {
    expect(said(oomKilled({}, OOMKILLED, 'docker'))).toContain(
      'Docker recorded the container as OOMKilled (State.OOMKilled)',
    );
    expect(said(oomKilled({}, OOMKILLED, 'docker'))).not.toContain('containerd sets');
    expect(said(oomKilled({}, OOMKILLED, 'containerd'))).toContain('containerd recorded reason OOMKilled');
    expect(said(oomKilled({}, OOMKILLED, 'cri-o'))).toContain('CRI-O recorded reason OOMKilled');
    expect(said(oomKilled({}))).toContain('containerd, CRI-O and Docker set it only after');
  });

  it("cgroup.pids and rlimit.nproc configure that runtime's defaults only", () => {
    const chain = [pidsLevel('container', '/kubepods/burstable/pod1/c1', { max: 4096, current: 100 })];
    const on = (runtime: string) =>
      fixText(
        assess('cgroup.pids', {
          lines: SEED_LOG,
          node: node({ cgroupChains: chain, runtime: fact(runtime, '/var/lib/' + runtime) }),
        }),
      );
    expect(on('docker')).toContain('/etc/docker/daemon.json: {"default-pids-limit": -1}');
    expect(on('docker')).not.toContain('crio');
    expect(on('cri-o')).toContain('[crio.runtime] pids_limit = -1');
    expect(on('cri-o')).not.toContain('docker');
    expect(on('containerd')).not.toMatch(/daemon\.json|crio/);
    const nproc = (runtime: string) =>
      fixText(
        assess('rlimit.nproc', {
          lines: SEED_LOG,
          node: node({ runtime: fact(runtime, '/var/lib/' + runtime) }),
        }),
      );
    expect(nproc('cri-o')).toContain('default_ulimits = ["nproc=1048576:1048576"]');
    expect(nproc('cri-o')).toContain('crio.service');
    expect(nproc('cri-o')).not.toMatch(/docker|containerd/);
    expect(nproc('docker')).not.toContain('crio');
  });
});

describe('arithmetic and wording of the notes', () => {
  const pidMaxAt = (tasks: number) =>
    said(
      assess('kernel.pid_max', {
        lines: SEED_LOG,
        node: node({ pidMax: pidMax(32768), tasks: loadavg(tasks) }),
      }),
    );

  it('pid_max 32768 allows PIDs 1 to 32767: 32760 tasks leave at most 7, not 8', () => {
    const s = pidMaxAt(32760);
    expect(s).toContain(
      'kernel.pid_max 32768 allows 32767 PIDs (1 to 32767; PID 0 is never handed out): at most 7 are left',
    );
    expect(s).not.toMatch(/8 free|\(8\b/);
    expect(pidMaxAt(32767)).toContain('none is left');
  });

  it('threads-max: 17 left of 15407 is not "every new task fails"; a pids.max of 32767 cannot refuse under pid_max 32768', () => {
    const tm = said(
      assess('kernel.threads-max', {
        lines: SEED_LOG,
        node: node({ threadsMax: threadsMax(15407), tasks: loadavg(15390), pidMax: pidMax(4194304) }),
      }),
    );
    expect(tm).toContain('of threads-max: 17 more task(s) fit, and after them every new task');
    // Refusing a fork at a level with pids.max 32767 takes 32768 tasks; the node holds at most 32767.
    const chain = [
      pidsLevel('container', '/kubepods/burstable/pod1/c1', { max: null, current: 40 }),
      pidsLevel('kubepods', '/kubepods', { max: 32767, current: 31874 }),
    ];
    const a = assess('cgroup.pids', {
      lines: SEED_LOG,
      node: node({ pidMax: pidMax(32768), cgroupChains: chain }),
    });
    expect(a.verdict).toBe('ruled-out');
    expect(said(a)).toContain(
      "The kubepods level's pids.max 32767 is not below the 32767 tasks the node can hold (kernel.pid_max 32768 allows PIDs 1 to 32767): refusing a fork there takes 32768 tasks in it",
    );
  });

  it('a confirmed proof continues its sentence after the colon in lower case', () => {
    expect(oomKilled({}).summary).toBe(
      "The container's memory cgroup limit was reached: the container runtime recorded reason OOMKilled: containerd, CRI-O and Docker set it only after an OOM event of the container's memory cgroup.",
    );
    // A name keeps its case.
    expect(oomKilled({}, OOMKILLED, 'docker').summary).toContain('was reached: Docker recorded');
  });

  it('a pod with two container scopes names each level once: "2 container scopes and the pod"', () => {
    const chain = [
      pidsLevel('container', '/kubepods/burstable/pod1/c1', { max: null, current: 40 }),
      pidsLevel('container', '/kubepods/burstable/pod1/c2', { max: null, current: 1 }),
      pidsLevel('pod', '/kubepods/burstable/pod1', { max: null, current: 41 }),
    ];
    const a = assess('cgroup.pids', { lines: SEED_LOG, node: node({ cgroupChains: chain }) });
    expect(a.verdict).toBe('ruled-out');
    expect(said(a)).toContain('at every level read (2 container scopes and the pod)');
    expect(said(a)).not.toMatch(/container, container/);
  });
});
