// Real crashes of vm.max_map_count: a program that names the value it needs, and thread stacks
// weighed against the cap by arithmetic. The restarted instance's mappings are its own.
import type { CauseCase } from '../../types.js';
import { fact, nodeFacts, usage } from '../shared/case-facts.js';

const JVM = 'Exception in thread "main" java.lang.OutOfMemoryError: unable to create new native thread';
const JVM_SOURCE = 'https://github.com/openshift/origin/issues/24360';
const maxMapCount = fact(65530, '/proc/sys/vm/max_map_count', '65530', 1);

export const cases: CauseCase[] = [
  {
    name: 'HotSpot\'s "insufficient memory" banner over a GC thread refused with EPERM: ruled out',
    source: 'https://github.com/bitnami/containers/issues/63496 (bitnami/zookeeper on Debian 12, glibc 2.36)',
    log: [
      '[0.002s][warning][os,thread] Failed to start thread "GC Thread#0" - pthread_create failed (EPERM) for attributes: stacksize: 1024k, guardsize: 4k, detached.',
      '# There is insufficient memory for the Java Runtime Environment to continue.',
      '# Cannot create worker GC thread. Out of system resources.',
    ],
    expect: { verdict: 'ruled-out', said: [/EPERM/] },
  },
  {
    name: "Elasticsearch's bootstrap check names the value and its requirement: confirmed",
    source: 'https://github.com/helm/charts/issues/2677',
    log: ['[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]'],
    expect: { verdict: 'confirmed', first: true, said: [/65530 < 262144/] },
  },
  {
    name: "41 threads (the crashed instance's last sample) need about 82 mappings of 65530: unlikely, with the arithmetic",
    source: JVM_SOURCE,
    log: [JVM],
    process: { threads: usage('crashed', 41, '/proc/811/status', 'Threads: 41') },
    node: nodeFacts({ maxMapCount }),
    expect: { verdict: 'unlikely', said: [/41 threads × 2 mappings .* ≈ 82, far below 65530/] },
  },
  {
    name: "the crashed instance's last sample at the cap: confirmed",
    source: JVM_SOURCE,
    log: [JVM],
    process: { mapCount: usage('crashed', 65530, '/proc/811/maps', '65530 lines') },
    expect: { verdict: 'confirmed' },
  },
  {
    name: "the restarted twin's 200 mappings and 12 threads do not make it unlikely",
    source: JVM_SOURCE,
    log: [JVM],
    process: {
      mapCount: usage('restarted', 200, '/proc/912/maps', '200 lines'),
      threads: usage('restarted', 12, '/proc/912/status', 'Threads: 12'),
    },
    node: nodeFacts({ maxMapCount }),
    expect: {
      verdict: 'possible',
      said: [/restarted instance holds 200 mappings/, /restarted instance holds 12 threads/],
      missing: [/just before the next crash/],
    },
  },
];
