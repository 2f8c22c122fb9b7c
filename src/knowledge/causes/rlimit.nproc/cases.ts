// Real crashes of rlimit.nproc: who the process ran as decides first (INIT_USER and capability
// exemptions), then the UID's node-wide task count. More cases, with the remediation wording, are in
// test/knowledge/causes/rlimit-nproc.test.ts.
import type { CauseCase } from '../../types.js';
import { fact, nodeFacts, SEED_LOG, SEED_SOURCE, usage } from '../shared/case-facts.js';

const uid = (n: number) => fact(n, '--uid', `the process ran as real UID ${n}`);
const limit = (n: number) => fact(n, '/proc/4242/limits', `Max processes ${n} ${n} processes`, 9);

export const cases: CauseCase[] = [
  {
    name: 'the calico-node seed, privileged: CAP_SYS_ADMIN in the initial namespace exempts it',
    source: SEED_SOURCE,
    log: SEED_LOG,
    process: {
      privileged: fact(
        true,
        'pod.yaml (containers[calico-node].securityContext.privileged)',
        'privileged: true',
      ),
    },
    expect: { verdict: 'ruled-out', said: [/CAP_SYS_ADMIN/, /prints it after any EAGAIN/] },
  },
  {
    name: 'UID 1000 at 4096 of 4096 tasks node-wide: confirmed',
    source: SEED_SOURCE,
    log: SEED_LOG,
    process: {
      realUid: uid(1000),
      nprocLimit: limit(4096),
      uidTasks: usage('node', 4096, '/proc/*/status', '4096 tasks (threads included) with real UID 1000'),
    },
    expect: { verdict: 'confirmed', first: true, said: [/4096\/4096/] },
  },
  {
    name: "the UID's count as the host reader put it in node.limits, with the PAM files that do not reach containers",
    source: SEED_SOURCE,
    log: SEED_LOG,
    process: { realUid: uid(1000), nprocLimit: limit(4096) },
    node: nodeFacts({
      pamLimits: [
        {
          domain: '*',
          type: 'soft',
          item: 'nproc',
          value: '4096',
          evidence: {
            source: '/etc/security/limits.d/20-nproc.conf',
            line: 5,
            text: '*          soft    nproc     4096',
          },
        },
      ],
      limits: [
        {
          id: 'rlimit.nproc',
          scope: 'uid:1000',
          used: 300,
          max: 4096,
          ratio: 0.073,
          evidence: [{ source: '/proc/*/status', text: '300 tasks with real UID 1000' }],
        },
      ],
    }),
    expect: {
      verdict: 'unlikely',
      said: [/300 \+ 41 = 341 of 4096/, /PAM login sessions only/],
      evidence: ['*          soft    nproc     4096'],
    },
  },
  {
    name: "a JVM as UID 1300 under nproc 60, 49 tasks of the UID now (the restarted instance's): not counted twice, not excluded",
    source: 'podmortem lab (OpenJDK 17 starting threads as UID 1300 under docker run --ulimit nproc=60:60)',
    log: [
      '[0.321s][warning][os,thread] Failed to start thread "Unknown thread" - pthread_create failed (EAGAIN) for attributes: stacksize: 512k, guardsize: 0k, detached.',
      'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource limits reached',
    ],
    process: {
      realUid: uid(1300),
      nprocLimit: limit(60),
      threads: usage('restarted', 49, '/proc/27407/status', 'Threads:\t49'),
      uidTasks: usage(
        'node',
        49,
        '/proc/*/status (Uid, Threads)',
        '49 tasks of real UID 1300 on the node now',
      ),
    },
    expect: {
      verdict: 'possible',

      said: [/49 of 60 now/, /not the UID's count at the crash/],
      notSaid: [/49 \+ 49/],
    },
  },
];
