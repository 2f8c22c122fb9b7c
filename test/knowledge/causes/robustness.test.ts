// Facts come from untrusted snapshots: zeros, NaN, negative counts, empty chains, limits of 0. Every
// cause must still return a verdict with its reasons, never throw.
import { describe, expect, it } from 'vitest';
import {
  VERDICT_ORDER,
  type NodeFacts,
  type ProcessFacts,
  type SignatureHit,
} from '../../../src/evidence/types.js';
import { CAUSES } from '../../../src/knowledge/causes/index.js';
import type { CauseContext } from '../../../src/knowledge/types.js';
import { fact, node, pidsLevel } from './helpers.js';

const odd = [0, -1, Number.NaN, 2 ** 53, 1];

function nodes(): (NodeFacts | undefined)[] {
  return [
    undefined,
    node(),
    ...odd.map((v) =>
      node({
        pidMax: fact(v, 'x'),
        threadsMax: fact(v, 'x'),
        tasks: fact(v, 'x'),
        maxMapCount: fact(v, 'x'),
        fileMax: fact(v, 'x'),
        filesAllocated: fact(v, 'x'),
        inotifyMaxUserInstances: fact(v, 'x'),
        inotifyMaxUserWatches: fact(v, 'x'),
        controllers: fact({ pids: v > 0 }, '/proc/cgroups'),
        cgroupChains: [
          pidsLevel('container', '', { max: v, current: v, peak: v, events: v }),
          { path: '/', level: 'pod', controller: 'memory', max: v, current: v, events: v, evidence: [] },
        ],
        kernelLines: [
          { kind: 'pids-rejected', evidence: { source: 'k', text: '' } },
          { kind: 'memcg-oom', evidence: { source: 'k', text: 'Memory cgroup out of memory' } },
        ],
        limits: [
          { id: 'rlimit.nproc', scope: 'uid:', used: v, max: v, ratio: null, evidence: [] },
          { id: 'inotify.instances', scope: 'uid:0', used: v, max: v, ratio: null, evidence: [] },
        ],
        kubelet: { source: 'k', podPidsLimit: fact(v, 'k') },
        runtime: fact('docker', 'r'),
        kernelRelease: fact('garbage', 'r'),
      }),
    ),
  ];
}

function processes(): ProcessFacts[] {
  return [
    {},
    ...odd.map((v) => ({
      realUid: fact(v, 'x'),
      nprocLimit: fact(v, 'x'),
      nofileLimit: fact(v, 'x'),
      uidTasks: { of: 'crashed' as const, ...fact(v as number, 'x') },
      openFiles: { of: 'crashed' as const, ...fact(v as number, 'x') },
      mapCount: { of: 'crashed' as const, ...fact(v as number, 'x') },
      threads: { of: 'crashed' as const, ...fact(v as number, 'x') },
      memoryLimit: fact(v, 'x'),
      capabilities: fact([] as string[], 'x'),
    })),
  ];
}

describe('every cause on odd facts', () => {
  for (const def of CAUSES) {
    it(`${def.id} returns a verdict and never throws`, () => {
      // A real signature's hit with fields no real line would give it (a corrupt or hostile log).
      const hit: SignatureHit = {
        id: 'go.newosproc',
        family: 'go',
        title: 'Go runtime could not create an OS thread (newosproc)',
        fields: { threads: Number.NaN, errno: -1, cgroup: '', tasks: 0, limit: 0 },
        evidence: [{ source: 'crash.log', line: 1, text: '' }],
        count: 1,
      };
      for (const n of nodes()) {
        for (const p of processes()) {
          const ctx: CauseContext = {
            incident: { subject: { exitCode: 137 }, signatures: [hit] },
            raisedBy: [{ signature: hit, raise: { cause: def.id, weight: 0.5, why: 'odd' } }],
            process: p,
            ...(n ? { node: n } : {}),
          };
          const a = def.assess(ctx);
          expect(VERDICT_ORDER).toContain(a.verdict);
          expect(a.summary.length).toBeGreaterThan(0);
          expect(a.reasons.length).toBeGreaterThan(0);
        }
      }
    });
  }
});
