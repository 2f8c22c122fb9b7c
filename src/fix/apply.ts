// `--apply`: writes the node's changes under a root (`/` on the node, or a copy of one), through
// HostRoot's resolution so a link can never lead a write out of the root. Before anything is
// written, every target is resolved and checked to still hold what the plan was made from; then
// every file that exists is copied to the backup folder (with a manifest saying what was changed and
// what was created), and only then are the files written: regular files through a temporary file
// renamed over them (mode kept), /proc/sys values in place, which is what `sysctl -w` does.
// Workload patches are not applied: the cluster is not the node.
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HostRoot, normalizeHostPath } from '../sources/host/root.js';
import { FixError, type Change, type Plan } from './types.js';

export interface ApplyResult {
  /** Host paths written, in order. */
  written: string[];
  /** Where the originals and the manifest were kept (a path on this machine). */
  backupDir: string;
}

interface Target {
  change: Change;
  /** The real path under the root, once its folder exists. */
  real?: string;
  exists: boolean;
}

export function applyPlan(
  plan: Plan,
  rootDir: string,
  opts: { backupDir?: string; stamp: string },
): ApplyResult {
  const root = new HostRoot(rootDir);
  if (!root.usable) throw new FixError(root.unreadable[0] ?? `--root ${rootDir}: cannot be used.`);
  const node = plan.changes.filter((c) => c.kind !== 'workload-patch');
  // 1. Resolve every target and check it still holds what the plan was made from.
  const targets: Target[] = node.map((change) => {
    const r = root.resolve(change.path);
    if (r.ok) {
      const now = root.read(change.path, { quiet: true, maxBytes: 1 << 20 });
      if (!now) throw new FixError(`${change.path}: cannot be read under ${rootDir}; nothing was written.`);
      if (change.before !== null && now.text !== change.before)
        throw new FixError(
          `${change.path}: changed since the plan was made; nothing was written (run fix again).`,
        );
      if (change.before === null)
        throw new FixError(
          `${change.path}: appeared since the plan was made; nothing was written (run fix again).`,
        );
      return { change, real: r.real, exists: true };
    }
    if (r.code !== 'ENOENT' || r.viaLink) throw new FixError(`${r.reason} Nothing was written.`);
    if (change.kind === 'sysctl-live')
      throw new FixError(
        `${change.path}: not found under ${rootDir}; nothing was written (is this a node's root?).`,
      );
    return { change, exists: false };
  });
  // 2. Back up every file that exists, before the first write.
  const backupDir = opts.backupDir ?? realDir(root, `/var/backups/podmortem-fix/${opts.stamp}`, rootDir);
  const manifest: string[] = [
    `# podmortem fix --apply under ${rootDir} at ${opts.stamp}`,
    '# modified: the original is beside this manifest at the same path; created: delete it to undo.',
  ];
  try {
    for (const t of targets) {
      if (!t.exists) {
        manifest.push(`created ${t.change.path}`);
        continue;
      }
      const copy = join(backupDir, normalizeHostPath(t.change.path));
      mkdirSync(dirname(copy), { recursive: true });
      // A /proc/sys file reports size 0: its value is written from what was read, not copied.
      if (t.change.kind === 'sysctl-live') writeFileSync(copy, t.change.before ?? '');
      else copyFileSync(t.real!, copy);
      manifest.push(`modified ${t.change.path}`);
    }
    writeFileSync(join(backupDir, 'MANIFEST'), `${manifest.join('\n')}\n`);
  } catch (err) {
    if (err instanceof FixError) throw err;
    throw new FixError(`the backup in ${backupDir} failed (${code(err)}); nothing was written.`);
  }
  // 3. Write: files first, then the running values (the boot value is kept before the live one moves).
  const written: string[] = [];
  const order = [
    ...targets.filter((t) => t.change.kind !== 'sysctl-live'),
    ...targets.filter((t) => t.change.kind === 'sysctl-live'),
  ];
  for (const t of order) {
    try {
      if (t.change.kind === 'sysctl-live') writeFileSync(t.real!, t.change.after);
      else {
        const real =
          t.real ??
          join(realDir(root, dirname(normalizeHostPath(t.change.path)), rootDir), baseName(t.change.path));
        const mode = t.exists ? statSync(real).mode & 0o7777 : 0o644;
        const tmp = `${real}.podmortem-tmp-${process.pid}`;
        try {
          writeFileSync(tmp, t.change.after, { flag: 'wx', mode });
          renameSync(tmp, real);
        } finally {
          rmSync(tmp, { force: true });
        }
      }
      written.push(t.change.path);
    } catch (err) {
      if (err instanceof FixError) throw err;
      throw new FixError(
        `${t.change.path}: cannot be written (${code(err)})${written.length > 0 ? `; already written: ${written.join(', ')} (originals in ${backupDir})` : '; nothing was written'}.`,
      );
    }
  }
  return { written, backupDir };
}

/** A folder under the root, created as needed one component at a time; its real path on this machine. */
function realDir(root: HostRoot, hostDir: string, rootDir: string): string {
  const parts = normalizeHostPath(hostDir).split('/').filter(Boolean);
  let real = root.dir;
  for (let i = 0; i < parts.length; i++) {
    const host = `/${parts.slice(0, i + 1).join('/')}`;
    const r = root.resolve(host);
    if (r.ok) {
      if (!statSync(r.real).isDirectory())
        throw new FixError(`${host}: is not a directory under ${rootDir}; nothing was written.`);
      real = r.real;
    } else if (r.code === 'ENOENT' && !r.viaLink) {
      real = join(real, parts[i]!);
      mkdirSync(real, { mode: 0o755 });
    } else throw new FixError(`${r.reason} Nothing was written.`);
  }
  return real;
}

function baseName(path: string): string {
  return normalizeHostPath(path).split('/').pop()!;
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
