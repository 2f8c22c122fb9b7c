// ESLint-RuleTester style, generic over the registry: every signature carries its docs and real
// cases; every case, fed through the real scanner + prefilter + Recognizer (plain, CRI and Docker
// json-file framing), yields a hit of that signature with the expected fields; nonMatching lines
// yield none; raises name contract cause ids; every pattern survives adversarial input.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Recognizer } from '../../src/diagnose/recognize.js';
import { prefilterFor } from '../../src/pipeline/prefilter.js';
import type { SignatureHit } from '../../src/evidence/types.js';
import { SIGNATURES, signatureById } from '../../src/knowledge/signatures/index.js';
import { CONTRACT_CAUSE_IDS } from '../../src/knowledge/cause-ids.js';
import { threadCreationRaises } from '../../src/knowledge/signatures/raises.js';
import { scanStream } from '../../src/sources/logs/scanner.js';

const CAUSE_IDS = new Set<string>(CONTRACT_CAUSE_IDS);
const TASK_LIMITS = ['rlimit.nproc', 'cgroup.pids', 'kernel.pid_max', 'kernel.threads-max'];
const FD_LIMITS = ['rlimit.nofile', 'fs.file-max', 'inotify.instances', 'inotify.watches'];

/** How the lines reach us: as printed, CRI and Docker json-file files, kubectl logs --timestamps, docker compose logs. */
type Framing = 'plain' | 'cri' | 'docker' | 'kubectl-timestamps' | 'compose';

function frame(line: string, framing: Framing): string {
  if (framing === 'cri') return `2024-05-01T10:00:00.123456789Z stderr F ${line}`;
  if (framing === 'docker')
    return JSON.stringify({ log: `${line}\n`, stream: 'stderr', time: '2024-05-01T10:00:00.123456789Z' });
  if (framing === 'kubectl-timestamps') return `2024-05-01T10:00:00.123456789Z ${line}`;
  if (framing === 'compose') return `app_1  | ${line}`;
  return line;
}

/** The text the scanner hands over: CRI and Docker framing are removed, the other prefixes stay. */
function delivered(line: string, framing: Framing): string {
  return framing === 'cri' || framing === 'docker' ? line : frame(line, framing);
}

const PREFILTER = prefilterFor(SIGNATURES);

async function recognize(lines: string[], framing: Framing = 'plain'): Promise<SignatureHit[]> {
  const body = `${lines.map((l) => frame(l, framing)).join('\n')}\n`;
  const rec = new Recognizer(SIGNATURES);
  await scanStream(Readable.from([Buffer.from(body, 'utf8')]), 'case.log', PREFILTER, (line) =>
    rec.add(line),
  );
  return rec.result();
}

describe('signature registry', () => {
  it('has unique ids of the form family.name, with the family as prefix', () => {
    const ids = SIGNATURES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SIGNATURES) {
      expect(s.id, s.id).toMatch(/^[a-z0-9]+\.[a-z0-9-]+$/);
      expect(s.id.startsWith(`${s.family}.`), `${s.id} family ${s.family}`).toBe(true);
    }
  });

  it('keeps the prefilter small: few distinct keywords, none short, none that JSON escapes', () => {
    const keywords = new Set(SIGNATURES.flatMap((s) => s.keywords));
    // Each keyword costs the prefilter a table entry, not a pass: bench/ measures the throughput
    // (bench/README.md: analyze throughput before and after the recognition families of 30 Nov 2026).
    expect(keywords.size).toBeLessThan(140);
    for (const k of keywords) {
      expect(k.length, k).toBeGreaterThanOrEqual(5);
      expect(k, k).not.toMatch(/[<>&"\\\u0000-\u001f]/);
    }
  });

  it('never reuses a cause id, so `podmortem explain <id>` is unambiguous', () => {
    for (const s of SIGNATURES) expect(CAUSE_IDS.has(s.id), s.id).toBe(false);
  });

  it('keeps the generic family a net for unknown crashes: it raises no cause', () => {
    for (const s of SIGNATURES.filter((x) => x.family === 'generic')) {
      for (const c of s.cases) expect(s.raises(c.fields ?? {}), s.id).toEqual([]);
    }
  });

  it('uses stateless patterns (no g or y flag: the Recognizer reuses them on every line)', () => {
    for (const s of SIGNATURES) expect(s.pattern.flags, s.id).not.toMatch(/[gy]/);
  });

  it('resolves every id through signatureById', () => {
    for (const s of SIGNATURES) expect(signatureById(s.id)).toBe(s);
  });
});

describe('thread creation raises (limits.md §1.5, §3.1)', () => {
  it('does not suspect memory for a pure-Go EAGAIN (raw clone, stack allocated before) but suspects overcommit for glibc', () => {
    const pureGo = threadCreationRaises(11, 41, false).map((r) => r.cause);
    const glibc = threadCreationRaises(11, undefined, true).map((r) => r.cause);
    expect(pureGo).not.toContain('memory.cgroup');
    expect(pureGo).toEqual(
      expect.arrayContaining(['cgroup.pids', 'kernel.pid_max', 'rlimit.nproc', 'kernel.threads-max']),
    );
    // A failed stack mmap is the node's commit accounting (or RLIMIT_AS), never a memory cgroup.
    expect(glibc).toEqual(expect.arrayContaining(['memory.node', 'vm.max_map_count', 'cgroup.pids']));
    expect(glibc).not.toContain('memory.cgroup');
  });

  it('says the limit is shared when the process had few threads', () => {
    const pids = threadCreationRaises(11, 41, false).find((r) => r.cause === 'cgroup.pids');
    expect(pids?.why).toContain('only 41 threads');
  });

  it('maps ENOMEM to memory and a dead pid-namespace init, EPERM to seccomp', () => {
    expect(threadCreationRaises(12, 64).map((r) => r.cause)).toEqual([
      'memory.cgroup',
      'memory.node',
      'pidns.init-exited',
    ]);
    expect(threadCreationRaises(1, undefined, true).map((r) => r.cause)).toEqual(['seccomp.clone3']);
  });
});

for (const sig of SIGNATURES) {
  describe(sig.id, () => {
    it('documents what it is, how to confirm it and where the knowledge comes from', () => {
      expect(sig.title.length).toBeGreaterThan(5);
      expect(sig.docs.what.length).toBeGreaterThan(20);
      expect(sig.docs.sources.length).toBeGreaterThan(0);
      expect(sig.keywords.length).toBeGreaterThan(0);
      expect(sig.cases.length).toBeGreaterThan(0);
      for (const c of sig.cases) expect(c.source.length, 'case source').toBeGreaterThan(5);
    });

    sig.cases.forEach((c, i) => {
      for (const framing of ['plain', 'cri', 'docker', 'kubectl-timestamps', 'compose'] as const) {
        it(`recognizes case ${i + 1} (${framing}): ${c.source}`, async () => {
          const hits = await recognize(c.log, framing);
          const hit = hits.find((h) => h.id === sig.id);
          expect(hit, `no ${sig.id} hit in ${JSON.stringify(c.log)}`).toBeDefined();
          if (c.fields) expect(hit!.fields).toMatchObject(c.fields);
          expect(hit!.evidence[0]!.source).toBe('case.log');
          expect(delivered(c.log[hit!.evidence[0]!.line! - 1]!, framing)).toBe(hit!.evidence[0]!.text);
        });
      }

      it(`raises only contract causes, weighted and explained (case ${i + 1})`, async () => {
        const hit = (await recognize(c.log)).find((h) => h.id === sig.id)!;
        const raises = sig.raises(hit.fields);
        for (const r of raises) {
          expect(CAUSE_IDS.has(r.cause), r.cause).toBe(true);
          expect(r.weight).toBeGreaterThan(0);
          expect(r.weight).toBeLessThanOrEqual(1);
          expect(r.why.length).toBeGreaterThan(20);
        }
        const causes = raises.map((r) => r.cause);
        // An open-files crash never points at a thread limit, and the reverse (limits.md §5).
        if (causes.some((id) => FD_LIMITS.includes(id)))
          expect(causes.filter((id) => TASK_LIMITS.includes(id))).toEqual([]);
        expect(new Set(causes).size).toBe(causes.length);
      });
    });

    for (const line of sig.nonMatching ?? []) {
      it(`does not match: ${line.slice(0, 80)}`, async () => {
        const hits = await recognize([line]);
        expect(hits.map((h) => h.id)).not.toContain(sig.id);
      });
    }

    it('returns on 100 KB adversarial lines built from its keywords (linear-time pattern)', () => {
      // A backtracking-prone pattern (nested quantifiers over overlapping classes) does not return
      // on these within the test timeout; a linear one takes milliseconds. No time is asserted.
      const fillers = ['a', ' ', '(', '[', "'", ':', '0', '/', 'x '];
      let runs = 0;
      for (const k of sig.keywords) {
        const inputs = [
          k.repeat(Math.ceil(100_000 / k.length)),
          `${k} `.repeat(Math.ceil(100_000 / (k.length + 1))),
          ...fillers.map((f) => `${k}${f.repeat(100_000)}`),
          ...fillers.map((f) => `${f.repeat(100_000)}${k}`),
          `${k.slice(0, Math.ceil(k.length / 2))}`.repeat(Math.ceil(200_000 / k.length)),
        ];
        for (const input of inputs) {
          runs++;
          const m = sig.pattern.exec(input);
          if (m && sig.fields) sig.fields(m);
        }
      }
      expect(runs).toBe(sig.keywords.length * (3 + 2 * fillers.length));
    });
  });
}
