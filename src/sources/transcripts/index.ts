// Pasted command output as evidence: reads the first MAX_BYTES of a log, a ticket or a Markdown post,
// finds the command lines (after a prompt, or a known command at the start of a line) and the blocks
// that say by themselves what they are (a table header, "kernel.pid_max = 32768"), and hands each block
// to the parser of its kind. Fences, blank lines and the next command end a block. The result is the
// project's evidence (a partial Subject, ProcessFacts, a partial NodeFacts), every fact pointing at the
// transcript file and line. One pass, each line looked at by a bounded number of anchored patterns.
import { cgroupFiles } from './cgroup-files.js';
import { inspectJson } from './inspect-json.js';
import { kernelLine } from './kernel-lines.js';
import { kubectlDescribe } from './kubectl-describe.js';
import { kubectlGetPod } from './kubectl-get-pod.js';
import { kubectlLogs } from './kubectl-logs.js';
import { commandOf, readLines } from './lines.js';
import { lsof } from './lsof.js';
import { pamLimits } from './pam-limits.js';
import { procLimits } from './proc-limits.js';
import { procStatus } from './proc-status.js';
import { ps } from './ps.js';
import { systemctl } from './systemctl.js';
import { sysctl } from './sysctl.js';
import type { Reader, TLine, TranscriptFacts, TranscriptParser } from './types.js';
import { Sink } from './types.js';
import { ulimit } from './ulimit.js';

export type { TranscriptFacts } from './types.js';
export { MAX_BYTES as TRANSCRIPT_BYTES } from './lines.js';

/** Every parser; the order only matters for a line two could start (the first wins). */
export const PARSERS: readonly TranscriptParser[] = [
  kubectlGetPod,
  kubectlLogs,
  kubectlDescribe,
  inspectJson,
  procLimits,
  procStatus,
  ulimit,
  cgroupFiles,
  sysctl,
  pamLimits,
  ps,
  lsof,
  systemctl,
];

const FENCE = /^\s{0,3}(```|~~~)/;

/** The transcripts in a file; undefined when it is not a regular readable file (a pipe, stdin). */
export async function readTranscripts(path: string, name = path): Promise<TranscriptFacts | undefined> {
  const read = await readLines(path);
  if (!read) return undefined;
  return { ...parseTranscript(read.lines, name), truncated: read.truncated };
}

export function parseTranscript(lines: Iterable<TLine>, source: string): TranscriptFacts {
  const sink = new Sink(source);
  let current: Reader | undefined;
  const end = (): void => {
    current?.end?.();
    current = undefined;
  };
  for (const raw of lines) {
    // Quoted replies ("> ") and list indentation around pasted blocks.
    const l: TLine = { n: raw.n, text: raw.text.replace(/^(?:\s{0,3}>\s?){1,4}/, '') };
    kernelLine(sink, l);
    if (l.text.trim() === '' && current?.keepsBlank) continue;
    if (FENCE.test(l.text) || l.text.trim() === '') {
      end();
      continue;
    }
    const cmd = commandOf(l);
    if (cmd) {
      end();
      for (const p of PARSERS) {
        current = p.forCommand?.(cmd, sink);
        if (current) break;
      }
      continue;
    }
    if (current) {
      if (current.line(l)) continue;
      end();
    }
    for (const p of PARSERS) {
      current = p.forLine?.(l, sink);
      if (current) break;
    }
  }
  end();
  return finish(sink);
}

function finish(sink: Sink): TranscriptFacts {
  const subject = { value: { ...sink.subject }, evidence: [...sink.subjectEvidence] };
  const row = subjectRow(sink);
  if (row) {
    // The row's restarts and node come first: they name the pod the post is about.
    const fromRow = {
      pod: row.pod,
      ...(row.namespace ? { namespace: row.namespace } : {}),
      restartCount: row.restarts,
      ...(row.node ? { node: row.node } : {}),
    };
    subject.value = { ...fromRow, ...subject.value };
    subject.evidence.unshift(row.evidence);
  } else if (sink.named) {
    subject.value = { ...sink.named, ...subject.value };
  }
  const chains = sink.cgroupChains();
  if (chains.length > 0) sink.node.cgroupChains = chains;
  return {
    source: sink.source,
    subject,
    process: sink.process,
    node: sink.node,
    notes: sink.notes,
    files: [...sink.files].map(([path, lines]) => ({ path, lines })),
    seen: sink.seen,
    truncated: false,
  };
}

/** The pod row a post is about: the only pod listed, or the one a logs/describe command names. */
function subjectRow(sink: Sink) {
  const pods = new Map(sink.pods.map((r) => [`${r.namespace ?? ''}/${r.pod}`, r]));
  const rows = [...pods.values()];
  if (rows.length === 1) return rows[0];
  const named = sink.named;
  if (!named) return undefined;
  return rows.find(
    (r) => r.pod === named.pod && (!named.namespace || !r.namespace || r.namespace === named.namespace),
  );
}
