// POST /api/v1/nodes/{node}/limits on the fleet server: an agent pushes its node's limit readings,
// `{ "items": [reading...] }`, each shaped as the agent's own GET /api/v1/nodes/{node}/limits answers
// (node, recordedAt, limits as in the JSON report), so the server's node page shows every limit's
// headroom. Same token checks and body bound as the incident ingest; every reading is checked before
// any is stored; a reading sent twice (an answer lost) replaces itself: stored by node and time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { limitSchema } from '../report/schema.js';
import { StoreUnavailable, type IncidentStore, type NodeLimits } from '../store/types.js';
import { answer, authorizedBody, failer, InvalidBatch, type IngestOptions } from './ingest.js';

/** A batch of readings is at most 4 MiB of JSON (a reading with its evidence is tens of KiB). */
export const MAX_LIMITS_BODY = 4 << 20;
/** At most this many readings a batch (the agent sends 20), this many limits a reading. */
export const MAX_READINGS = 100;
const MAX_LIMITS = 2000;

const rfc3339 = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 time');
const reading = z.object({
  node: z.string().max(253),
  recordedAt: rfc3339,
  limits: z.array(limitSchema).max(MAX_LIMITS),
});
const batch = z.object({ items: z.array(reading).max(MAX_READINGS) });

export interface LimitsIngestOptions {
  store: IncidentStore;
  token: string | undefined;
  authenticate?: IngestOptions['authenticate'];
  onBatch?: IngestOptions['onBatch'];
}

export function limitsIngestHandler(o: LimitsIngestOptions) {
  return async (req: IncomingMessage, res: ServerResponse, node: string): Promise<void> => {
    const fail = failer(req, res, o.onBatch);
    const raw = await authorizedBody(o, req, fail, MAX_LIMITS_BODY);
    if (!raw) return;
    let readings: NodeLimits[];
    try {
      readings = parseReadings(raw, node);
    } catch (err) {
      if (err instanceof InvalidBatch) return void fail(400, err.message);
      throw err;
    }
    try {
      for (const r of readings) await o.store.putLimits(r);
      o.onBatch?.({ accepted: readings.length, duplicates: 0 });
      answer(res, 200, { accepted: readings.length, duplicates: 0 });
    } catch (err) {
      const msg = err instanceof StoreUnavailable ? err.message : `The store failed: ${String(err)}`;
      o.onBatch?.({ status: 503 });
      answer(res, 503, { error: msg }, { 'retry-after': '5' });
    }
  };
}

/** The readings, checked; one sentence naming the first bad field otherwise. */
export function parseReadings(raw: Buffer, node: string): NodeLimits[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidBatch('The body is not valid JSON.');
  }
  const parsed = batch.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length
      ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      : '';
    if (at === '' || at === '.items')
      throw new InvalidBatch(
        `The body must be { "items": [reading...] } with at most ${MAX_READINGS} readings of { node, recordedAt, limits }.`,
      );
    throw new InvalidBatch(`${at.replace(/^\./, '')}: ${issue.message.replace(/\.$/, '')}.`);
  }
  parsed.data.items.forEach((r, i) => {
    if (r.node !== node)
      throw new InvalidBatch(
        `items[${i}].node is ${JSON.stringify(r.node)}, not the node of the URL (${node}).`,
      );
  });
  return parsed.data.items as NodeLimits[];
}
