// Standard input, told apart before it is scanned: gzip is inflated, a pod spec
// (`kubectl get pod NAME -o yaml | podmortem analyze crash.log -`) is read as one, anything else is
// a log. Only the first chunk is looked at, unless it names a kind or apiVersion: then up to
// MAX_SPEC_BYTES are held to parse; a log is replayed from what was held and never read twice.
import { Readable } from 'node:stream';
import { gunzipBounded, isGzip } from './gzip.js';
import type { PodRead } from './pod-specs.js';

export type StdinContent =
  { kind: 'pods'; pods: PodRead[] } | { kind: 'log'; stream: Readable; warnings: string[] };

/** A YAML document with a top-level kind or apiVersion line, or a JSON object naming one. */
function looksLikeSpec(head: string): boolean {
  if (/^\s*\{/.test(head)) return /"(?:kind|apiVersion)"\s*:/.test(head);
  return /^(?:kind|apiVersion):/m.test(head);
}

export async function readStdin(stdin: Readable, maxSpecBytes: number): Promise<StdinContent> {
  const it = (stdin as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const held: Buffer[] = [];
  let size = 0;
  let ended = false;
  const next = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) {
      ended = true;
      return false;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    held.push(b);
    size += b.length;
    return true;
  };
  await next();
  const head = held[0] ?? Buffer.alloc(0);
  if (!isGzip(head) && looksLikeSpec(head.subarray(0, 64 << 10).toString('utf8'))) {
    while (!ended && size <= maxSpecBytes) await next();
    if (ended) {
      // Loaded only for what looks like a spec: YAML and zod are a third of a short run's start-up.
      const { podsFromText } = await import('./pod-specs.js');
      const pods = podsFromText(Buffer.concat(held).toString('utf8'), 'stdin');
      if (pods.length > 0) return { kind: 'pods', pods };
    }
  }
  async function* replay(): AsyncGenerator<Buffer> {
    for (const b of held.splice(0)) yield b;
    while (!ended) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  const stream = Readable.from(replay(), { objectMode: false });
  const warnings: string[] = [];
  return { kind: 'log', stream: isGzip(head) ? gunzipBounded(stream, 'stdin', warnings) : stream, warnings };
}
