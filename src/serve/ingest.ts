// POST /api/v1/incidents on the fleet server: agents push `{ "items": [item...] }`, items shaped as
// GET returns them. The bearer token is compared in constant time (hashes of equal length, so not
// even its length leaks), the body is bounded before it is parsed, every item is checked before any
// is stored (a bad batch stores nothing and gets one sentence), and storing is idempotent by
// incident id: the answer counts what was new and what was already there.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreUnavailable, type IncidentItem, type IncidentStore } from '../store/types.js';
import type { Authenticate } from './auth.js';

/** A batch is at most this many bytes of JSON (an agent sends 100 incidents of tens of KiB). */
export const MAX_BODY = 16 << 20;
/** And at most this many items. */
export const MAX_ITEMS = 1000;

const ID = /^[0-9a-f]{8,64}$/;

export interface IngestOptions {
  store: IncidentStore;
  /** The token agents must present; undefined: the server was started without one and refuses pushes. */
  token: string | undefined;
  /** --auth tokenreview: a token that is not `token` is verified by the Kubernetes API. */
  authenticate?: Authenticate;
  /** Called with each batch's outcome (metrics). */
  onBatch?: (r: { accepted: number; duplicates: number } | { status: number }) => void;
}

/** An item or a batch that cannot be stored: one sentence for a 400 answer. */
export class InvalidBatch extends Error {}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant time whatever the tokens' lengths. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected)) && expected.length > 0;
}

export function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(JSON.stringify(body));
}

/** Answers a refusal with one sentence (counted by onBatch); undefined is returned for chaining. */
export type Fail = (status: number, error: string, extra?: Record<string, string>) => undefined;

export function failer(req: IncomingMessage, res: ServerResponse, onBatch: IngestOptions['onBatch']): Fail {
  return (status, error, extra = {}) => {
    onBatch?.({ status });
    answer(res, status, { error }, extra);
    // The rest of the body is read and discarded (never kept: memory stays bounded; the server's
    // request timeout bounds the time), so the client reads this answer instead of a reset.
    req.resume();
    return undefined;
  };
}

/**
 * The checks every push passes before its body is parsed: a token (ours, or one the Kubernetes API
 * vouches for), a JSON content type, a body of at most `max` bytes. The body, or undefined once
 * refused.
 */
export async function authorizedBody(
  o: Pick<IngestOptions, 'token' | 'authenticate'>,
  req: IncomingMessage,
  fail: Fail,
  max = MAX_BODY,
): Promise<Buffer | undefined> {
  if (o.token === undefined && o.authenticate === undefined)
    return fail(
      403,
      'This server was started without --token-file or --auth tokenreview: it accepts no pushes.',
    );
  const unauthorized = { 'www-authenticate': 'Bearer realm="podmortem"' };
  const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return fail(401, 'A valid bearer token is required (Authorization: Bearer <token>).', unauthorized);
  if (o.token === undefined || !tokenMatches(m[1]!, o.token)) {
    if (!o.authenticate)
      return fail(401, 'A valid bearer token is required (Authorization: Bearer <token>).', unauthorized);
    const decision = await o.authenticate(m[1]!);
    if (!decision.ok)
      return fail(
        decision.status,
        decision.error,
        decision.status === 401 ? unauthorized : decision.status === 503 ? { 'retry-after': '5' } : {},
      );
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    return fail(415, 'The body must be JSON (Content-Type: application/json).');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) return fail(413, `A batch is at most ${max >> 20} MiB.`);
  try {
    return await readBounded(req, max);
  } catch (err) {
    if (err instanceof InvalidBatch) return fail(413, err.message);
    throw err;
  }
}

export function ingestHandler(o: IngestOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const fail = failer(req, res, o.onBatch);
    const raw = await authorizedBody(o, req, fail);
    if (!raw) return;
    let items: IncidentItem[];
    try {
      items = parseBatch(raw);
    } catch (err) {
      if (err instanceof InvalidBatch) return fail(400, err.message);
      throw err;
    }
    try {
      const r = await o.store.put(items);
      o.onBatch?.(r);
      answer(res, 200, { accepted: r.accepted, duplicates: r.duplicates });
    } catch (err) {
      const msg = err instanceof StoreUnavailable ? err.message : `The store failed: ${String(err)}`;
      o.onBatch?.({ status: 503 });
      answer(res, 503, { error: msg }, { 'retry-after': '5' });
    }
  };
}

function readBounded(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        reject(new InvalidBatch(`A batch is at most ${max >> 20} MiB.`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The batch's items, checked: the fields the store indexes and the API filters on must be there and typed. */
export function parseBatch(raw: Buffer): IncidentItem[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidBatch('The body is not valid JSON.');
  }
  if (!isObject(body) || !Array.isArray(body.items))
    throw new InvalidBatch('The body must be { "items": [incident...] }.');
  if (body.items.length > MAX_ITEMS)
    throw new InvalidBatch(`A batch holds at most ${MAX_ITEMS} items; this one has ${body.items.length}.`);
  body.items.forEach(checkItem);
  return body.items as IncidentItem[];
}

function checkItem(v: unknown, n: number): void {
  const at = `items[${n}]`;
  const bad = (what: string) => new InvalidBatch(`${at}${what}.`);
  if (!isObject(v)) throw bad(' is not an object');
  if (typeof v.id !== 'string' || !ID.test(v.id))
    throw bad('.id must be the incident id (8 to 64 lowercase hexadecimal characters)');
  for (const k of ['node', 'cluster'] as const)
    if (typeof v[k] !== 'string' || v[k].length > 253)
      throw bad(`.${k} must be a string of at most 253 characters`);
  if (typeof v.recordedAt !== 'string' || Number.isNaN(Date.parse(v.recordedAt)))
    throw bad('.recordedAt must be an RFC 3339 time');
  if (!isObject(v.subject)) throw bad('.subject must be an object');
  for (const k of ['namespace', 'pod', 'container', 'podUid', 'owner', 'finishedAt'] as const) {
    const s = v.subject[k];
    if (s !== undefined && (typeof s !== 'string' || s.length > 1024))
      throw bad(`.subject.${k} must be a string`);
  }
  const fin = v.subject.finishedAt;
  if (typeof fin === 'string' && Number.isNaN(Date.parse(fin)))
    throw bad('.subject.finishedAt must be an RFC 3339 time');
  for (const k of ['signatures', 'causes', 'notes'] as const)
    if (!Array.isArray(v[k])) throw bad(`.${k} must be an array`);
  (v.causes as unknown[]).forEach((c, i) => {
    if (!isObject(c) || typeof c.id !== 'string' || typeof c.verdict !== 'string')
      throw bad(`.causes[${i}] must have a string id and verdict`);
  });
}
