// Container exits as they happen on a Docker Engine (dockershim-era nodes, the lab): GET /events with
// a filter for container die and oom events, streamed as one JSON object per line
// (https://docs.docker.com/engine/api/v1.41/#tag/System/operation/SystemEvents). The same
// RuntimeExit shape as containerd's stream. Bounded: a line longer than 1 MiB is dropped, not buffered.
// The iterable ends when `signal` aborts and throws one sentence when the daemon goes away.
import { request } from 'node:http';
import { z } from 'zod';
import type { RuntimeExit } from './cri/events.js';

const API = 'v1.41';
const MAX_LINE = 1 << 20;

const EventSchema = z.object({
  Type: z.string().optional(),
  Action: z.string(),
  Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()).nullish() }),
  timeNano: z.number().optional(),
  time: z.number().optional(),
});

/** Nanoseconds since the epoch as RFC 3339 with nine fractional digits. */
function nanosIso(ns: number | undefined, s: number | undefined): string | undefined {
  if (ns === undefined && s === undefined) return undefined;
  const big = ns !== undefined ? BigInt(Math.round(ns)) : BigInt(s!) * 1_000_000_000n;
  const secs = big / 1_000_000_000n;
  const frac = (big % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

export function dockerExits(
  socketPath: string,
  opts: { signal?: AbortSignal } = {},
): AsyncIterable<RuntimeExit> {
  const filters = JSON.stringify({ type: ['container'], event: ['die', 'oom'] });
  return {
    async *[Symbol.asyncIterator]() {
      const queue: RuntimeExit[] = [];
      let done = false;
      let failure: Error | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      let partial = '';
      const req = request(
        {
          socketPath,
          path: `/${API}/events?filters=${encodeURIComponent(filters)}`,
          method: 'GET',
          headers: { Host: 'docker' },
        },
        (res) => {
          if (res.statusCode !== 200) {
            failure = new Error(
              `${socketPath}: GET /events answered HTTP ${res.statusCode}; exits cannot be followed.`,
            );
            res.resume();
            done = true;
            notify();
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            partial += chunk;
            let nl: number;
            while ((nl = partial.indexOf('\n')) >= 0) {
              const line = partial.slice(0, nl);
              partial = partial.slice(nl + 1);
              const e = parse(line);
              if (e) queue.push(e);
            }
            if (partial.length > MAX_LINE) partial = ''; // an absurd line: dropped, memory stays bounded
            notify();
          });
          res.on('end', () => {
            if (!opts.signal?.aborted)
              failure = new Error(
                `${socketPath}: the Docker daemon closed its event stream (restarted or stopped).`,
              );
            done = true;
            notify();
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!opts.signal?.aborted)
          failure = new Error(
            `${socketPath}: Docker events cannot be followed (${err.code ?? err.message}).`,
          );
        done = true;
        notify();
      });
      const stop = () => {
        req.destroy();
        done = true;
        notify();
      };
      if (opts.signal?.aborted) stop();
      opts.signal?.addEventListener('abort', stop, { once: true });
      req.end();
      try {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          if (done) {
            if (failure && !opts.signal?.aborted) throw failure;
            return;
          }
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        opts.signal?.removeEventListener('abort', stop);
        req.destroy();
      }
    },
  };
}

function parse(line: string): RuntimeExit | undefined {
  if (!line.trim()) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const e = EventSchema.safeParse(json);
  if (!e.success || (e.data.Type !== undefined && e.data.Type !== 'container')) return undefined;
  const attrs = e.data.Actor.Attributes ?? {};
  const exitedAt = nanosIso(e.data.timeNano, e.data.time);
  if (e.data.Action === 'die') {
    const code = Number(attrs['exitCode']);
    return {
      containerId: e.data.Actor.ID,
      kind: 'exit',
      ...(Number.isInteger(code) ? { exitStatus: code } : {}),
      ...(exitedAt ? { exitedAt } : {}),
      via: 'docker-events',
    };
  }
  if (e.data.Action === 'oom') return { containerId: e.data.Actor.ID, kind: 'oom', via: 'docker-events' };
  return undefined;
}
