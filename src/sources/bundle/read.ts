// A bundle (folder or .tar.gz) read back offline into the same ContainerContexts a live scan builds,
// each with its log as a stream; src/pipeline/bundle.ts diagnoses them through the same incident
// builder and report assembly as the scan, so the diagnosis is the one the scan gave. A bundle is untrusted input: the archive is extracted with regular files
// and folders only (no links, no absolute or ../ paths), bounded in size and count, and every JSON
// file is validated before use.
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { Parser } from 'tar';
import { pipeline } from 'node:stream/promises';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Readable } from 'node:stream';
import type { ClusterEvidence, ContainerContext } from '../cluster/gather.js';
import { controllerOf, type WireObject } from '../cluster/wire.js';
import { describeFsError } from '../fs-errors.js';
import { trackTemp } from '../temp-files.js';
import { BUNDLE_KIND, MANIFEST, type BundleManifest } from './layout.js';

/** What a .tar.gz may inflate to (a bundle is logs of at most --log-bytes each, and small JSON). */
export const MAX_EXTRACTED_BYTES = 512 * 2 ** 20;
const MAX_ENTRIES = 50_000;
const MAX_DEPTH = 24;
const MAX_JSON_BYTES = 256 << 20;

/**
 * A name from a manifest or an object that becomes a path component: a Kubernetes name (DNS
 * subdomain, label, or a container name), never `.`, `..`, a separator or a control character.
 */
const SAFE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;
export const isSafeName = (s: string) => SAFE_NAME.test(s);
const Name = z.string().regex(SAFE_NAME, 'not a Kubernetes name');

const ProblemSchema = z.object({
  kind: z.enum(['forbidden', 'no-log', 'not-found', 'unavailable', 'malformed']),
  rule: z.object({
    verb: z.string(),
    resource: z.string(),
    group: z.string(),
    namespace: z.string().optional(),
  }),
  object: z.string(),
  server: z.string(),
  sentence: z.string(),
});

const ManifestSchema = z.object({
  kind: z.literal(BUNDLE_KIND),
  formatVersion: z.literal(1),
  server: z.string(),
  scope: z.object({
    namespace: z.string().optional(),
    labelSelector: z.string().optional(),
    sinceMs: z.number().optional(),
  }),
  redaction: z.object({ enabled: z.boolean(), counts: z.record(z.string(), z.number()), total: z.number() }),
  containers: z.array(
    z.object({
      namespace: Name,
      pod: Name,
      container: Name,
      node: Name.optional(),
      why: z.string(),
      finishedAt: z.string().optional(),
      previous: z.boolean(),
      log: z.string().nullable(),
    }),
  ),
  problems: z.array(z.unknown()),
  stats: z.object({ pods: z.number(), pages: z.number(), requests: z.number(), retries: z.number() }),
  nodeSnapshots: z.array(Name),
});

/** One crashed container of a bundle: the context the scan had, and its log when the bundle holds one. */
export interface BundledContainer {
  ctx: ContainerContext;
  log?: { name: string; stream: Readable };
}

/** A bundle opened for reading: valid only inside the callback given to withBundle (a .tar.gz is extracted to a temp folder). */
export interface OpenBundle {
  manifest: BundleManifest;
  evidence: ClusterEvidence;
  /** The folder of node snapshots (nodes/<node>/...), when the bundle has any. */
  nodeSnapshots?: string;
  /** Each container in manifest order; logs are opened lazily as the iteration reaches them. */
  containers: () => AsyncGenerator<BundledContainer>;
  /** One sentence per part that could not be read. */
  warnings: string[];
}

/**
 * Opens a bundle and hands it to `use`; the temp folder of a .tar.gz is removed after `use` ends.
 * Returns one sentence instead when the bundle cannot be read at all.
 */
export async function withBundle<T>(
  path: string,
  use: (b: OpenBundle) => Promise<T>,
): Promise<{ value: T } | { error: string }> {
  let dir = path;
  let tmp: string | undefined;
  // Killed mid-way (Ctrl-C, a timeout's SIGTERM), the temp folder goes too (temp-files.ts).
  let untrack = () => {};
  try {
    if (!(await stat(path)).isDirectory()) {
      tmp = await mkdtemp(join(tmpdir(), 'podmortem-read-'));
      untrack = trackTemp(tmp);
      const err = await safeExtract(path, tmp);
      if (err) return { error: `${path}: ${err}` };
      dir = tmp;
    }
    const b = await readBundleDir(dir, path);
    if ('error' in b) return b;
    return { value: await use(b) };
  } catch (err) {
    return { error: describeFsError(err, path) };
  } finally {
    // Extraction has fully stopped here (safeExtract waits for its last write), so nothing races the removal.
    if (tmp) await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
    untrack();
  }
}

/**
 * Extracts regular files and folders only, streaming: every entry's path is checked (no absolute
 * path, no `..`, at most MAX_DEPTH deep), and the archive is abandoned, not read on, the moment it
 * passes MAX_EXTRACTED_BYTES or MAX_ENTRIES (a small file inflating to gigabytes stops there).
 */
async function safeExtract(file: string, into: string): Promise<string | undefined> {
  let bytes = 0;
  let entries = 0;
  let refused: string | undefined;
  const writes: Promise<void>[] = [];
  const parser = new Parser({ strict: true });
  const source = createReadStream(file);
  const stop = (why: string) => {
    refused ??= why;
    source.destroy();
    parser.abort(new Error(why));
  };
  parser.on('entry', (entry) => {
    const rel = normalize(entry.path).replace(/\/+$/, '');
    const depth = rel.split('/').length;
    const type = entry.type;
    const size = typeof entry.size === 'number' ? entry.size : 0;
    if (
      (type !== 'File' && type !== 'OldFile' && type !== 'Directory') ||
      rel.startsWith('..') ||
      rel.startsWith('/') ||
      rel === '.' ||
      depth > MAX_DEPTH
    ) {
      entry.resume();
      return;
    }
    bytes += size;
    if (++entries > MAX_ENTRIES)
      return stop(`more than ${MAX_ENTRIES} entries: not a podmortem bundle, refused.`);
    if (bytes > MAX_EXTRACTED_BYTES)
      return stop(
        `inflates to more than ${MAX_EXTRACTED_BYTES / 2 ** 20} MiB: not a podmortem bundle, refused (extract it yourself and pass the folder if you trust it).`,
      );
    const target = join(into, rel);
    if (type === 'Directory') {
      mkdirSync(target, { recursive: true, mode: 0o700 });
      entry.resume();
      return;
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writes.push(pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o600 })).catch(() => {}));
  });
  try {
    await pipeline(source, parser);
  } catch (err) {
    if (!refused) {
      await Promise.allSettled(writes);
      return `not a readable .tar.gz bundle (${err instanceof Error ? err.message.split('\n')[0] : String(err)}).`;
    }
  }
  await Promise.allSettled(writes);
  return refused;
}

async function readJson(path: string): Promise<unknown> {
  const st = await stat(path);
  if (st.size > MAX_JSON_BYTES) throw new Error(`${path}: too large for a bundle file`);
  return JSON.parse(await readFile(path, 'utf8'));
}

function items(v: unknown): WireObject[] {
  const list = (v as { items?: unknown })?.items;
  return Array.isArray(list) ? (list.filter((x) => x && typeof x === 'object') as WireObject[]) : [];
}

async function readBundleDir(dir: string, shown: string): Promise<OpenBundle | { error: string }> {
  let manifest: BundleManifest;
  let dropped = 0;
  let raw: unknown;
  const valueAt = (_: unknown, path: PropertyKey[]) =>
    path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], raw);
  try {
    raw = await readJson(join(dir, MANIFEST));
    const parsed = ManifestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const unsafe = issue?.message === 'not a Kubernetes name';
      return {
        error: unsafe
          ? `${shown}: ${MANIFEST} names ${JSON.stringify(neutral(String(valueAt(parsed, issue!.path))))} at ${issue!.path.join('.')}, which is not a Kubernetes name: the bundle is refused.`
          : `${shown}: ${MANIFEST} is not a podmortem bundle manifest of format 1.`,
      };
    }
    manifest = parsed.data as unknown as BundleManifest;
    // A problem that is not of the shape a scan writes is dropped with a note, not a reason to refuse the bundle.
    const problems = manifest.problems.filter((p) => ProblemSchema.safeParse(p).success);
    if (problems.length < manifest.problems.length) dropped = manifest.problems.length - problems.length;
    manifest.problems = problems;
  } catch (err) {
    return {
      error: `${shown}: ${MANIFEST} cannot be read (${err instanceof Error ? err.message : String(err)}).`,
    };
  }
  const warnings: string[] = [];
  if (dropped > 0)
    warnings.push(
      `${shown}: ${dropped} problem(s) in ${MANIFEST} are not of the shape podmortem writes; they were ignored.`,
    );
  const load = async (name: string): Promise<unknown> => {
    try {
      return await readJson(join(dir, 'objects', name));
    } catch (err) {
      warnings.push(
        `${shown}: objects/${name} cannot be read (${err instanceof Error ? err.message : String(err)}).`,
      );
      return undefined;
    }
  };
  const pods = items(await load('pods.json'));
  const nodes = items(await load('nodes.json'));
  const owners = items(await load('owners.json'));
  const eventsRaw = await load('events.json');
  const events: Record<string, WireObject[]> = {};
  if (eventsRaw && typeof eventsRaw === 'object') {
    for (const [k, v] of Object.entries(eventsRaw)) if (Array.isArray(v)) events[k] = v as WireObject[];
  }
  const evidence: ClusterEvidence = {
    server: manifest.server,
    scope: manifest.scope,
    pods,
    nodes,
    events,
    owners,
    containers: manifest.containers.map(({ log: _log, ...c }) => c),
    problems: manifest.problems,
    stats: manifest.stats,
  };
  const byKey = (o: WireObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const podIndex = new Map(pods.map((p) => [byKey(p), p]));
  const nodeIndex = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
  const ownerIndex = new Map(owners.map((o) => [`${o.kind}/${byKey(o)}`, o]));
  if (manifest.redaction.enabled === false)
    warnings.push(`${shown}: this bundle was collected with --no-redact; it may contain secrets.`);

  async function* containers(): AsyncGenerator<BundledContainer> {
    for (const c of manifest.containers) {
      const pod = podIndex.get(`${c.namespace}/${c.pod}`);
      if (!pod) {
        warnings.push(
          `${shown}: the pod ${c.namespace}/${c.pod} is listed in the manifest but not in objects/pods.json.`,
        );
        continue;
      }
      const chain: WireObject[] = [];
      let ref = controllerOf(pod);
      for (let depth = 0; ref && depth < 3; depth++) {
        const o = ownerIndex.get(`${ref.kind}/${c.namespace}/${ref.name}`);
        if (!o) break;
        chain.push(o);
        ref = controllerOf(o);
      }
      const node = c.node ? nodeIndex.get(c.node) : undefined;
      const problems = manifest.problems.filter(
        (p) =>
          p.object === `${c.namespace}/${c.pod}/${c.container}` ||
          p.object === `${c.namespace}/${c.pod}` ||
          (c.node && p.object === `node ${c.node}`),
      );
      const ctx: ContainerContext = {
        crashed: {
          namespace: c.namespace,
          pod: c.pod,
          container: c.container,
          why: c.why,
          previous: c.previous,
          ...(c.node ? { node: c.node } : {}),
          ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
        },
        pod,
        events: events[`${c.namespace}/${c.pod}`] ?? [],
        owners: chain,
        ...(node ? { node } : {}),
        problems,
      };
      let log;
      if (c.log) {
        const file = join(dir, normalize(c.log).replace(/^(\.\.(\/|\\|$))+/, ''));
        try {
          await stat(file);
          log = {
            name: `${c.namespace}/${c.pod}/${c.container} (${c.previous ? 'previous' : 'last'} log)`,
            stream: createReadStream(file),
          };
        } catch (err) {
          warnings.push(describeFsError(err, `${shown}: ${c.log}`));
        }
      }
      yield { ctx, ...(log ? { log } : {}) };
    }
  }
  return {
    manifest,
    evidence,
    ...(manifest.nodeSnapshots.length > 0 ? { nodeSnapshots: join(dir, 'nodes') } : {}),
    containers,
    warnings,
  };
}

/** Control and bidirectional characters shown escaped (a name from a bundle reaches a terminal). */
function neutral(s: string): string {
  return s
    .slice(0, 200)
    .replace(
      /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}
