// The notes that are not causes: the PAM limits files that never reach a container, and the hint to
// collect node evidence when the log leaves several candidates open.
import { describe, expect, it } from 'vitest';
import { notesFor } from '../../../src/diagnose/notes.js';
import type { PamLimitLine } from '../../../src/evidence/types.js';
import { diagnoseCase, node, recognize, SEED_LOG } from './helpers.js';

// /etc/security/limits.d/20-nproc.conf of CentOS 7, as quoted in the seed write-up.
const PAM: PamLimitLine[] = [
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
  {
    domain: 'root',
    type: 'soft',
    item: 'nproc',
    value: 'unlimited',
    evidence: {
      source: '/etc/security/limits.d/20-nproc.conf',
      line: 6,
      text: 'root       soft    nproc     unlimited',
    },
  },
];

describe('notes', () => {
  it('limits.d lines with rlimit.nproc among the candidates: PAM-only, and root is exempt there anyway', () => {
    const n = node({ pamLimits: PAM });
    const notes = notesFor({ causes: diagnoseCase({ lines: SEED_LOG, node: n }), node: n });
    expect(notes.join('\n')).toMatch(/20-nproc\.conf set nproc\/nofile for PAM login sessions only/);
    expect(notes.join('\n')).toMatch(/root soft nproc unlimited/);
  });

  it('log only with several open candidates: says how to decide between them', () => {
    const notes = notesFor({ causes: diagnoseCase({ lines: SEED_LOG }), node: undefined });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/4 candidate causes stay open \(.*cgroup\.pids.*\)/);
    expect(notes[0]).toMatch(/podmortem node/);
  });

  it('a JVM thread refused with EAGAIN, log only (seglo/kafka-lag-exporter#436): says which memory causes were left out and why', () => {
    const lines = [
      '[56,420s][warning][os,thread] Unable to start thread - pthread_create failed (EAGAIN) for attributes: stacksize: 1024k, guardsize: 0k, detached.',
    ];
    const signatures = recognize(lines);
    const notes = notesFor({ causes: diagnoseCase({ lines }), node: undefined, signatures });
    expect(notes.join('\n')).toMatch(
      /Left out: memory\.node, vm\.max_map_count, rlimit\.as\. .*could not map the thread's stack/,
    );
    // The seed (pure-Go newosproc maps no stack) leaves nothing out.
    const seed = notesFor({
      causes: diagnoseCase({ lines: SEED_LOG }),
      node: undefined,
      signatures: recognize(SEED_LOG),
    });
    expect(seed.join('\n')).not.toMatch(/Left out/);
  });

  it('no PAM note when no nproc/nofile cause was raised', () => {
    const n = node({ pamLimits: PAM });
    const notes = notesFor({
      causes: diagnoseCase({ lines: ['runtime: program exceeds 10000-thread limit'], node: n }),
      node: n,
    });
    expect(notes.join('\n')).not.toMatch(/PAM/);
  });
});
