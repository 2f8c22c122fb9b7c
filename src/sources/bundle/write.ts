// `collect`: the same cluster walk as `scan`, written to a bundle instead of diagnosed. Logs stream
// from the API server through the redactor into files (never whole in memory), objects are redacted
// field by field, node snapshots are copied with their text redacted, and the folder becomes one
// .tar.gz written atomically (a temp name, then rename).
import { createReadStream, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create as tarCreate } from 'tar';
import { Redactor, totalRedactions } from '../../redact/redact.js';
import type { ClusterApi } from '../cluster/api.js';
import { gatherCluster, type ClusterEvidence, type Progress, type ScanScope } from '../cluster/gather.js';
import { BUNDLE_KIND, logPath, MANIFEST, type BundleManifest } from './layout.js';
import { trackTemp } from '../temp-files.js';
import { isSafeName } from './read.js';

export interface CollectOptions {
  output: string;
  redact: boolean;
  nodeEvidenceDir?: string;
  version: string;
  onProgress?: (p: Progress) => void;
}

/** A node snapshot file larger than this is not copied (a snapshot is /proc and /etc text, not data). */
const MAX_SNAPSHOT_FILE = 8 << 20;
const MAX_SNAPSHOT_FILES = 20_000;

export async function collectBundle(
  api: ClusterApi,
  scope: ScanScope,
  opts: CollectOptions,
): Promise<{ manifest: BundleManifest; evidence: ClusterEvidence; warnings: string[] }> {
  const stage = await mkdtemp(join(tmpdir(), 'podmortem-bundle-'));
  const untrack = trackTemp(stage);
  const warnings: string[] = [];
  try {
    const redactor = new Redactor();
    const logs = new Map<string, string>();
    const evidence = await gatherCluster(
      api,
      scope,
      async (ctx, log) => {
        if (!log) return;
        const c = ctx.crashed;
        const rel = logPath(c.namespace, c.pod, c.container);
        await mkdir(dirname(join(stage, rel)), { recursive: true });
        try {
          if (opts.redact) await pipeline(log, redactor.stream(), createWriteStream(join(stage, rel)));
          else await pipeline(log, createWriteStream(join(stage, rel)));
          logs.set(`${c.namespace}/${c.pod}/${c.container}`, rel);
        } catch (err) {
          warnings.push(
            `${c.namespace}/${c.pod}/${c.container}: the log stream broke off (${err instanceof Error ? err.message : String(err)}).`,
          );
        }
      },
      opts.onProgress,
    );
    const obj = <T>(v: T): T => (opts.redact ? redactor.object(v) : v);
    await mkdir(join(stage, 'objects'), { recursive: true });
    const list = (items: unknown[]) =>
      JSON.stringify({ kind: 'List', apiVersion: 'v1', items: obj(items) }, null, 1);
    await writeFile(join(stage, 'objects', 'pods.json'), list(evidence.pods));
    await writeFile(join(stage, 'objects', 'nodes.json'), list(evidence.nodes));
    await writeFile(join(stage, 'objects', 'owners.json'), list(evidence.owners));
    await writeFile(join(stage, 'objects', 'events.json'), JSON.stringify(obj(evidence.events), null, 1));

    const nodeSnapshots: string[] = [];
    if (opts.nodeEvidenceDir !== undefined) {
      for (const node of new Set(evidence.containers.map((c) => c.node).filter((n): n is string => !!n))) {
        // The name comes from the API server: one path component, or no snapshot for it.
        if (!isSafeName(node)) {
          warnings.push(
            `the node name ${JSON.stringify(node.slice(0, 100))} is not a Kubernetes name: no snapshot was read for it.`,
          );
          continue;
        }
        const from = join(opts.nodeEvidenceDir, node);
        if (!(await isDir(from))) continue;
        await copySnapshot(
          from,
          join(stage, 'nodes', safeName(node)),
          opts.redact ? redactor : undefined,
          warnings,
        );
        nodeSnapshots.push(node);
      }
    }

    const manifest: BundleManifest = {
      kind: BUNDLE_KIND,
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      podmortemVersion: opts.version,
      server: evidence.server,
      scope: evidence.scope,
      redaction: {
        enabled: opts.redact,
        counts: { ...redactor.counts } as Record<string, number>,
        total: totalRedactions(redactor.counts),
      },
      containers: evidence.containers.map((c) => ({
        ...c,
        log: logs.get(`${c.namespace}/${c.pod}/${c.container}`) ?? null,
      })),
      // Server messages name users and objects, not secrets; they still go through the text rules.
      problems: opts.redact
        ? evidence.problems.map((p) => ({
            ...p,
            server: redactor.text(p.server),
            sentence: redactor.text(p.sentence),
          }))
        : evidence.problems,
      stats: evidence.stats,
      nodeSnapshots,
    };
    manifest.redaction.counts = { ...redactor.counts } as Record<string, number>;
    manifest.redaction.total = totalRedactions(redactor.counts);
    await writeFile(join(stage, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');

    await writeAtomically(
      opts.output,
      tarCreate({ gzip: true, cwd: stage, portable: true }, await readdir(stage)),
    );
    return { manifest, evidence, warnings };
  } finally {
    await rm(stage, { recursive: true, force: true });
    untrack();
  }
}

/**
 * Writes `data` to `out` through a temp file created exclusively (O_EXCL, mode 0600) beside it under
 * an unguessable name, then renames it over `out`: a planted symlink cannot redirect the write, a
 * reader never sees half a bundle, and the temp file goes on every failure (a folder as `out` too).
 */
export async function writeAtomically(out: string, data: AsyncIterable<Buffer | string>): Promise<void> {
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(8).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  const untrack = trackTemp(tmp);
  try {
    await pipeline(data, fh.createWriteStream());
    await rename(tmp, out);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    untrack();
    await fh.close().catch(() => {});
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
}

/** Copies a snapshot tree: regular files only (no symlinks out of it), text redacted, big files skipped. */
async function copySnapshot(
  from: string,
  to: string,
  redactor: Redactor | undefined,
  warnings: string[],
): Promise<void> {
  let files = 0;
  const walk = async (src: string, dst: string, depth: number): Promise<void> => {
    if (depth > 16) return;
    let entries;
    try {
      entries = await readdir(src, { withFileTypes: true });
    } catch (err) {
      warnings.push(`${src}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
      return;
    }
    await mkdir(dst, { recursive: true });
    for (const e of entries) {
      if (++files > MAX_SNAPSHOT_FILES) return;
      const s = join(src, e.name);
      const d = join(dst, e.name);
      if (e.isDirectory()) await walk(s, d, depth + 1);
      else if (e.isFile()) {
        const st = await lstat(s);
        if (st.size > MAX_SNAPSHOT_FILE) {
          warnings.push(`${s}: ${st.size} bytes, not copied into the bundle.`);
          continue;
        }
        try {
          if (redactor) await pipeline(createReadStream(s), redactor.stream(), createWriteStream(d));
          else await pipeline(createReadStream(s), createWriteStream(d));
        } catch (err) {
          warnings.push(`${s}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
        }
      }
    }
  };
  await walk(from, to, 0);
}
