// The host root: every host path (/proc/..., /sys/fs/cgroup/..., /etc/..., /var/lib/kubelet/...)
// is read under one directory given by --node-root (`/` on the node, `/host` in a pod with the host
// mounted there, or a captured snapshot folder). A path never leaves that directory: symlinks are
// resolved one component at a time inside it, an absolute target is re-rooted under it (as a chroot
// would), a `..` that would climb above it stops the walk, and the escape is reported as a sentence
// instead of being followed. Reads are bounded, and only regular files are opened (a FIFO or device in
// a snapshot would block or never end). Every successful read carries its Evidence: the path as the
// node sees it, never the snapshot's folder name.
//
// Every reader of node evidence goes through this class, the hot loops over /proc and the cgroup
// hierarchies included: under a directory that is a kernel pseudo-filesystem (procfs, sysfs,
// cgroupfs) nobody can plant a symlink, so a path below it is checked with one lstat instead of one
// per component, which keeps a walk over 10,000 processes as fast as raw reads. A snapshot's /proc is
// an ordinary folder, so there every component is still resolved.
import {
  constants,
  lstatSync,
  openSync,
  readSync,
  closeSync,
  createReadStream,
  fstatSync,
  readlinkSync,
  readdirSync,
  realpathSync,
  statSync,
  statfsSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Evidence } from '../../evidence/types.js';
import { describeFsError } from '../fs-errors.js';

/** The kernel's own limit on symlinks followed in one lookup (MAXSYMLINKS in linux:include/linux/namei.h). */
const MAX_SYMLINKS = 40;
/** /proc and /sys files are a page or two; anything larger is cut here unless the caller asks for more. */
export const DEFAULT_MAX_BYTES = 1 << 20;
/** statfs f_type of procfs (PROC_SUPER_MAGIC in linux:include/uapi/linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;
/** Kernel pseudo-filesystems whose entries nobody can replace by a symlink (linux:include/uapi/linux/magic.h). */
const PSEUDO_FS = new Set([
  PROC_SUPER_MAGIC,
  0x62656572, // SYSFS_MAGIC
  0x27e0eb, // CGROUP_SUPER_MAGIC (v1 hierarchies)
  0x63677270, // CGROUP2_SUPER_MAGIC
]);
/** Host directories that are pseudo-filesystems on a live node, longest first (v1 hierarchies sit on a tmpfs). */
const PSEUDO_PREFIXES = [
  '/sys/fs/cgroup/pids',
  '/sys/fs/cgroup/memory',
  '/sys/fs/cgroup/unified',
  '/sys/fs/cgroup',
  '/proc',
];
/**
 * procfs "magic links" jump to another process's root, cwd or files: a path that goes *through* one of
 * these (as an intermediate component) takes the slow path, where the link is re-rooted like any other.
 */
const PROC_MAGIC_DIRS = /^\/\d+\/(?:root|cwd|exe|fd\/[^/]+|map_files\/[^/]+|task\/\d+\/(?:root|cwd|exe))\//;

/** One buffer reused by every read and readSmall: an allocation and fstat per tiny procfs file cost 3x more. */
const SMALL_BUFFER = 64 * 1024;
let smallBuffer = Buffer.allocUnsafe(SMALL_BUFFER);

/** Doubles the reused buffer (at most to `max`), keeping its first `used` bytes. */
function growSmallBuffer(used: number, max: number): void {
  const bigger = Buffer.allocUnsafe(Math.min(smallBuffer.length * 2, max));
  smallBuffer.copy(bigger, 0, 0, used);
  smallBuffer = bigger;
}

/** After a large file (a process's maps, a kernel log), the buffer goes back to its size: a long-lived agent would keep the largest. */
function shrinkSmallBuffer(): void {
  if (smallBuffer.length > 16 * SMALL_BUFFER) smallBuffer = Buffer.allocUnsafe(SMALL_BUFFER);
}

export interface TextRead {
  /** Host path as seen on the node, e.g. /proc/sys/kernel/pid_max. */
  path: string;
  text: string;
  /** true when the file was longer than the bound and was cut. */
  truncated: boolean;
  /** The read as proof: the host path and the first line of what it held (use evidenceOf for another line). */
  evidence: Evidence;
}

export type Resolved =
  | { ok: true; real: string }
  /** viaLink: the path went through a symlink whose target is missing inside the root (worth a sentence even when absence is normal). */
  | { ok: false; reason: string; code?: string; viaLink?: boolean };

export class HostRoot {
  /** The root as given by the user (shown in NodeFacts.root). */
  readonly given: string;
  /** The root with its own symlinks resolved (a /host mount point may itself be a link). */
  readonly dir: string;
  /** true when the root is the filesystem root of this machine: nothing can escape it, paths are used as they are. */
  readonly isSlash: boolean;
  /** One sentence per thing that could not be read; collected, never thrown. */
  readonly unreadable: string[] = [];
  /** false when the root itself is missing or not a directory (the one sentence is in `unreadable`). */
  readonly usable: boolean;
  private readonly reported = new Set<string>();
  /** Real directory of each pseudo-filesystem prefix, or null when it is not one under this root. */
  private readonly pseudo = new Map<string, string | null>();

  constructor(root: string) {
    this.given = root;
    let dir = root;
    let usable = false;
    try {
      dir = realpathSync(root);
      usable = statSync(dir).isDirectory();
      if (!usable) this.note(root, `--node-root ${root}: is not a directory; no node evidence was read.`);
    } catch (err) {
      this.note(
        root,
        `--node-root ${describeFsError(err, root).replace(/\.$/, '')}; no node evidence was read.`,
      );
    }
    this.usable = usable;
    this.dir = dir;
    this.isSlash = dir === '/';
  }

  /** true when <root>/proc is a mounted procfs: the root is a live node (/ or /host), not a snapshot. */
  isLive(): boolean {
    const r = this.resolve('/proc');
    if (!r.ok) return false;
    try {
      return Number(statfsSync(r.real).type) === PROC_SUPER_MAGIC;
    } catch {
      return false;
    }
  }

  /**
   * Resolves a host path to a real path under the root, one component at a time. Returns a reason
   * (one sentence) when the path is missing or a symlink would lead out of the root.
   */
  resolve(hostPath: string): Resolved {
    const clean = normalizeHostPath(hostPath);
    const fast = this.isSlash ? undefined : this.underPseudoFs(clean);
    if (fast !== undefined) {
      try {
        lstatSync(fast);
        return { ok: true, real: fast };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return { ok: false, ...(code ? { code } : {}), reason: describeFsError(err, hostPath) };
      }
    }
    return this.walk(clean, hostPath);
  }

  /** The component-by-component resolution (or, under /, the kernel's own). */
  private walk(clean: string, hostPath = clean): Resolved {
    if (this.isSlash) {
      // Nothing can escape /: the kernel resolves the links; only existence is checked here.
      try {
        lstatSync(clean);
        return { ok: true, real: clean };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return { ok: false, ...(code ? { code } : {}), reason: describeFsError(err, hostPath) };
      }
    }
    const pending = clean.split('/').filter((c) => c !== '');
    const done: string[] = [];
    let links = 0;
    let lastTarget: string | undefined;
    let fromTarget = 0; // how many of the pending components came from the last link's target
    while (pending.length > 0) {
      const comp = pending.shift()!;
      const ofTarget = fromTarget > 0;
      if (fromTarget > 0) fromTarget--;
      if (comp === '.') continue;
      if (comp === '..') {
        if (done.length === 0) {
          return {
            ok: false,
            code: 'ESCAPE',
            reason: `${hostPath}: a symbolic link climbs above the node root (${this.given}); it was not followed.`,
          };
        }
        done.pop();
        continue;
      }
      const here = join(this.dir, ...done, comp);
      let st;
      try {
        st = lstatSync(here);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (ofTarget && lastTarget !== undefined && code === 'ENOENT') {
          return {
            ok: false,
            code,
            viaLink: true,
            reason: `${hostPath}: a symbolic link to ${lastTarget} leads to nothing inside the node root (${this.given}); links are resolved inside it, so the host's own file was not read.`,
          };
        }
        return { ok: false, ...(code ? { code } : {}), reason: describeFsError(err, hostPath) };
      }
      if (!st.isSymbolicLink()) {
        done.push(comp);
        continue;
      }
      if (++links > MAX_SYMLINKS)
        return { ok: false, code: 'ELOOP', reason: `${hostPath}: too many levels of symbolic links.` };
      let target: string;
      try {
        target = readlinkSync(here);
      } catch (err) {
        return { ok: false, reason: describeFsError(err, hostPath) };
      }
      lastTarget = target;
      const parts = target.split('/').filter((c) => c !== '');
      if (target.startsWith('/')) done.length = 0; // re-rooted: /etc/x means <root>/etc/x, never the host's
      pending.unshift(...parts);
      fromTarget = parts.length;
    }
    return { ok: true, real: join(this.dir, ...done) };
  }

  /**
   * The real path of a host path that lies below a kernel pseudo-filesystem of this root (a live /proc
   * or cgroup hierarchy), where no component can be a planted symlink; undefined when the slow,
   * component-by-component walk is needed.
   */
  private underPseudoFs(clean: string): string | undefined {
    if (clean.includes('/../') || clean.endsWith('/..')) return undefined;
    for (const prefix of PSEUDO_PREFIXES) {
      if (clean !== prefix && !clean.startsWith(prefix + '/')) continue;
      let real = this.pseudo.get(prefix);
      if (real === undefined) {
        real = this.pseudoDir(prefix);
        this.pseudo.set(prefix, real);
      }
      if (real === null) continue; // not a pseudo-filesystem here (a snapshot folder): try a shorter prefix
      const rest = clean.slice(prefix.length);
      if (prefix === '/proc' && PROC_MAGIC_DIRS.test(rest)) return undefined;
      return real + rest;
    }
    return undefined;
  }

  private pseudoDir(prefix: string): string | null {
    const r = this.walk(prefix);
    if (!r.ok) return null;
    try {
      return PSEUDO_FS.has(Number(statfsSync(r.real).type)) ? r.real : null;
    } catch {
      return null;
    }
  }

  /** true when the host path exists under the root (file, directory or anything else). */
  exists(hostPath: string): boolean {
    return this.resolve(hostPath).ok;
  }

  /** true when the host path is a directory under the root. */
  isDir(hostPath: string): boolean {
    const r = this.resolve(hostPath);
    if (!r.ok) return false;
    try {
      return statSync(r.real).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * Reads a text file, at most maxBytes (the rest is cut and `truncated` says so). With `tail`, reads
   * the last maxBytes instead (kernel logs: the crash is near the end). Missing or unreadable: undefined,
   * and one sentence in `unreadable` unless `quiet` (for files whose absence is normal).
   */
  read(
    hostPath: string,
    opts: { maxBytes?: number; quiet?: boolean; tail?: boolean } = {},
  ): TextRead | undefined {
    const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const path = normalizeHostPath(hostPath);
    const unresolved = (r: Resolved & { ok: false }): undefined => {
      if (!opts.quiet || r.code === 'ESCAPE' || r.code === 'ELOOP' || r.viaLink) this.note(path, r.reason);
      return undefined;
    };
    // Under / the stat below says whether the file exists; resolve() (one lstat more per cgroup
    // file of a node's walk) only decides, once it failed, whether that is worth a sentence.
    let real = path;
    if (!this.isSlash) {
      const r = this.resolve(path);
      if (!r.ok) return unresolved(r);
      real = r.real;
    }
    let fd: number | undefined;
    try {
      // Under any other root, resolve() left no link in the path; under / the kernel follows them.
      let st;
      try {
        st = statSync(real);
      } catch (err) {
        const r = this.isSlash ? this.resolve(path) : undefined;
        if (r && !r.ok) return unresolved(r);
        throw err;
      }
      if (st.isDirectory()) {
        this.note(path, `${path}: is a directory where a file was expected.`);
        return undefined;
      }
      if (!st.isFile()) {
        this.note(path, `${path}: is not a regular file (a FIFO, socket or device); it was not read.`);
        return undefined;
      }
      fd = openSync(
        real,
        constants.O_RDONLY | (this.isSlash ? 0 : constants.O_NOFOLLOW) | constants.O_NONBLOCK,
      );
      // /proc and /sys report size 0: read until EOF, never more than max (+1 byte to detect the cut).
      const start = opts.tail && st.size > max ? st.size - max : 0;
      // Into the reused buffer: a fresh 64 KiB chunk per read of a 3-byte cgroup file was most of the
      // agent's external memory and garbage (only the decoded text leaves this function).
      let total = 0;
      let pos = start;
      while (total <= max) {
        if (total === smallBuffer.length) growSmallBuffer(total, max + 1);
        const n = readSync(fd, smallBuffer, total, Math.min(smallBuffer.length, max + 1) - total, pos);
        if (n === 0) break;
        total += n;
        pos += n;
      }
      const truncated = total > max || start > 0;
      let text = smallBuffer.toString('utf8', 0, Math.min(total, max));
      shrinkSmallBuffer();
      if (start > 0) text = text.slice(text.indexOf('\n') + 1); // drop the partial first line of a tail read
      const first = text.split('\n', 1)[0] ?? '';
      // A tail read does not know its line numbers.
      const evidence: Evidence = {
        source: path,
        ...(start === 0 ? { line: 1 } : {}),
        text: first.trim().slice(0, 512),
      };
      return { path, text, truncated, evidence };
    } catch (err) {
      this.note(path, describeFsError(err, path));
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /**
   * A small file read for a hot loop (a /proc/<pid>/status among thousands): quiet, no evidence, at
   * most `max` bytes, decoded as latin1 (procfs is bytes). Only regular files are read; undefined
   * when missing, unreadable or vanished (processes exit while they are read).
   */
  readSmall(hostPath: string, max = DEFAULT_MAX_BYTES): string | undefined {
    // A planted FIFO or device in a snapshot must not be read; kernel files under / are regular.
    const fd = this.openRegular(hostPath, !this.isSlash);
    if (fd === undefined) return undefined;
    try {
      let n = 0;
      for (;;) {
        if (n === smallBuffer.length) {
          if (smallBuffer.length >= max) break;
          growSmallBuffer(n, max);
        }
        const got = readSync(fd, smallBuffer, n, Math.min(smallBuffer.length, max) - n, null);
        if (got === 0) break;
        n += got;
        if (n >= max) break;
      }
      const text = smallBuffer.toString('latin1', 0, n);
      shrinkSmallBuffer();
      return text;
    } catch {
      return undefined; // ESRCH: the process exited between open and read
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Opens a host path under the root for reading (non-blocking; never through a final symlink
   * outside /). With `mustBeRegular`, anything but a regular file is closed and refused. Undefined
   * when missing, escaping the root, unreadable or refused.
   */
  private openRegular(hostPath: string, mustBeRegular: boolean): number | undefined {
    // Under / the kernel resolves the path and open() says whether it exists: resolve()'s lstat
    // would be one more syscall per file of a /proc walk (bench/README-node.md).
    let real: string;
    if (this.isSlash) real = normalizeHostPath(hostPath);
    else {
      const r = this.resolve(hostPath);
      if (!r.ok) return undefined;
      real = r.real;
    }
    let fd: number;
    try {
      fd = openSync(
        real,
        constants.O_RDONLY | constants.O_NONBLOCK | (this.isSlash ? 0 : constants.O_NOFOLLOW),
      );
    } catch {
      return undefined;
    }
    try {
      if (!mustBeRegular || fstatSync(fd).isFile()) return fd;
    } catch {
      // vanished between open and fstat: refused below
    }
    closeSync(fd);
    return undefined;
  }

  /** The target of a symlink itself (never followed), e.g. /proc/<pid>/fd/3; undefined when it is not one. */
  readLink(hostPath: string): string | undefined {
    const path = normalizeHostPath(hostPath);
    if (this.isSlash) {
      // One readlink per open file of every process: no lstat of its folder first (see openRegular).
      try {
        return readlinkSync(path);
      } catch {
        return undefined;
      }
    }
    const slash = path.lastIndexOf('/');
    const parent = this.resolve(path.slice(0, slash) || '/');
    if (!parent.ok) return undefined;
    try {
      return readlinkSync(join(parent.real, path.slice(slash + 1)));
    } catch {
      return undefined;
    }
  }

  /** true when the host path is a regular file under the root (what `read` and `openStream` accept). */
  isFile(hostPath: string): boolean {
    const r = this.resolve(hostPath);
    if (!r.ok) return false;
    try {
      return statSync(r.real).isFile();
    } catch {
      return false;
    }
  }

  /** The kind of a host path under the root ('socket', 'file', 'directory', 'other'); undefined when missing. */
  kindOf(hostPath: string): 'socket' | 'file' | 'directory' | 'other' | undefined {
    const r = this.resolve(hostPath);
    if (!r.ok) return undefined;
    try {
      const st = statSync(r.real);
      return st.isSocket() ? 'socket' : st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
    } catch {
      return undefined;
    }
  }

  /**
   * A regular file under the root as a stream (a crash log: read whole, in chunks, by the scanner);
   * undefined when it is missing, escapes the root, or is not a regular file.
   */
  openStream(hostPath: string, opts: { highWaterMark?: number } = {}): Readable | undefined {
    const fd = this.openRegular(hostPath, true);
    if (fd === undefined) return undefined;
    return createReadStream('', { fd, ...(opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {}) });
  }

  /** Entries of a directory under the root (names only); undefined when it cannot be listed. */
  list(hostPath: string, opts: { quiet?: boolean; dirsOnly?: boolean } = {}): string[] | undefined {
    const path = normalizeHostPath(hostPath);
    let real = path;
    // Under / readdir says what a resolve()'s lstat would have (missing, not a folder, refused).
    if (!this.isSlash) {
      const r = this.resolve(path);
      if (!r.ok) {
        if (!opts.quiet || r.code === 'ESCAPE') this.note(path, r.reason);
        return undefined;
      }
      real = r.real;
    }
    try {
      if (!opts.dirsOnly) return readdirSync(real);
      // Directories only, never a link to one: a snapshot's link would lead out of the tree walked.
      return readdirSync(real, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      if (!opts.quiet) this.note(path, describeFsError(err, path));
      return undefined;
    }
  }

  /**
   * The st_size of a host path (following links), undefined when missing. On Linux 6.2+ a
   * /proc/<pid>/fd directory's size is its number of open descriptors, one stat instead of a listing.
   */
  sizeOf(hostPath: string): number | undefined {
    // Under / and below a pseudo-filesystem, resolve()'s lstat says no more than the stat itself:
    // the sampler asks this of every container every round.
    const clean = normalizeHostPath(hostPath);
    let real = this.isSlash ? clean : this.underPseudoFs(clean);
    if (real === undefined) {
      const r = this.resolve(hostPath);
      if (!r.ok) return undefined;
      real = r.real;
    }
    try {
      return statSync(real, { throwIfNoEntry: false })?.size;
    } catch {
      return undefined;
    }
  }

  /** The real path under the root of a host directory, for hot loops over /proc that must not lstat each component. */
  realDir(hostPath: string): string | undefined {
    const r = this.resolve(hostPath);
    return r.ok ? r.real : undefined;
  }

  /** Records one sentence per path (the same path is reported once). */
  note(key: string, sentence: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.unreadable.push(sentence);
  }
}

/** Makes a host path absolute and clean of `.`/empty components (`..` is kept for resolve to judge). */
export function normalizeHostPath(p: string): string {
  // The hot loops over /proc pass clean absolute paths: those come back as they are, unsplit.
  if (p.charCodeAt(0) === 47 && !/\/\/|\/\.(?:\/|$)|.\/$/.test(p)) return p;
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  return '/' + parts.join('/');
}

/** Evidence for a value read from a host file: the first line (or the given line) of what was read. */
export function evidenceOf(read: TextRead, line?: number, text?: string): Evidence {
  const shown = text ?? (line !== undefined ? read.text.split('\n')[line - 1] : read.text.trim());
  return { source: read.path, ...(line !== undefined ? { line } : {}), text: (shown ?? '').slice(0, 512) };
}
