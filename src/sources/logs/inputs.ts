// Turns the INPUT arguments of `analyze` into readable log sources and pod specs: files, folders
// (a kubelet pod log folder or any tree of logs), "-" for standard input. Gzipped logs (by name or
// by content) are inflated on the fly, bounded; a pod spec on stdin is read as one. Problems are
// collected as one sentence each; the caller decides whether any input is left to analyze.
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Subject } from '../../evidence/types.js';
import { describeFsError } from '../fs-errors.js';
import { gunzipBounded, isGzip } from './gzip.js';
import type { PodRead } from './pod-specs.js';
import { SCAN_CHUNK_BYTES } from './scanner.js';
import { readStdin } from './stdin.js';

export interface LogSource {
  /** Name shown in evidence: the path as given, or "stdin". */
  name: string;
  open: () => Readable;
  /** What the path tells about the container (kubelet layout). */
  subject: Subject;
  /** Sentences about how it was read (a gzip cap reached), filled while it is read. */
  warnings?: string[];
  /** The path of a regular uncompressed file, which may be read in byte ranges (src/pipeline/parallel). */
  file?: string;
}

export interface PodSource extends PodRead {
  name: string;
}

export interface ExpandedInputs {
  logs: LogSource[];
  pods: PodSource[];
  /** One sentence per input that could not be read. */
  errors: string[];
  /** Inputs that look like a bundle (handled by the bundle reader). */
  bundles: string[];
}

const MAX_FILES = 20_000;
const MAX_DEPTH = 8;
/** Pod specs are small; a YAML/JSON file larger than this is treated as a log. */
const MAX_SPEC_BYTES = 4 << 20;

/** `<namespace>_<pod>_<uid>/<container>/<N>.log` as the kubelet writes it (also N.log.<timestamp>[.gz] rotations). */
const KUBELET_PATH =
  /(?:^|\/)([a-z0-9][-a-z0-9.]*)_([a-z0-9][-a-z0-9.]*)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([a-z0-9][-a-z0-9]*)\/(\d+)\.log(?:\.[0-9.T:-]+?)?(?:\.gz)?$/;

export function subjectFromPath(path: string): Subject {
  const m = KUBELET_PATH.exec(path.replace(/\\/g, '/'));
  if (!m) return {};
  return { namespace: m[1]!, pod: m[2]!, podUid: m[3]!, container: m[4]!, restartCount: Number(m[5]) };
}

export async function expandInputs(args: string[], stdin: Readable = process.stdin): Promise<ExpandedInputs> {
  const out: ExpandedInputs = { logs: [], pods: [], errors: [], bundles: [] };
  const list = args.length === 0 ? ['-'] : args;
  for (const arg of list) {
    if (arg === '-') {
      const content = await readStdin(stdin, MAX_SPEC_BYTES);
      if (content.kind === 'pods') for (const pod of content.pods) out.pods.push({ name: 'stdin', ...pod });
      else
        out.logs.push({ name: 'stdin', open: () => content.stream, subject: {}, warnings: content.warnings });
      continue;
    }
    let st;
    try {
      st = await stat(arg);
    } catch (err) {
      out.errors.push(describeFsError(err, arg));
      continue;
    }
    if (st.isDirectory()) {
      if (await isBundleDir(arg)) out.bundles.push(arg);
      else {
        const before = out.logs.length + out.pods.length + out.errors.length;
        await walk(arg, arg, 0, out);
        // Say so rather than report "no crash" for a folder that held nothing to read.
        if (out.logs.length + out.pods.length + out.errors.length === before)
          out.errors.push(`${arg}: no log files in this folder.`);
      }
    } else if (/\.(tar\.gz|tgz)$/.test(arg)) {
      out.bundles.push(arg);
    } else {
      await addFile(arg, arg, out, st.isFile());
    }
  }
  return out;
}

async function isBundleDir(dir: string): Promise<boolean> {
  try {
    await stat(join(dir, 'podmortem-bundle.json'));
    return true;
  } catch {
    return false;
  }
}

async function walk(root: string, dir: string, depth: number, out: ExpandedInputs): Promise<void> {
  if (depth > MAX_DEPTH) {
    // Said once per folder given: a log skipped in silence would read as "no crash" for it.
    const sentence = `${root}: folders more than ${MAX_DEPTH} levels deep were not read (the first: ${dir}).`;
    if (!out.errors.some((e) => e.startsWith(`${root}: folders more than`))) out.errors.push(sentence);
    return;
  }
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    out.errors.push(describeFsError(err, dir));
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  for (const e of entries) {
    if (out.logs.length + out.pods.length >= MAX_FILES) {
      out.errors.push(`${root}: more than ${MAX_FILES} files; the rest were skipped.`);
      return;
    }
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(root, p, depth + 1, out);
    else if (e.isFile() || e.isSymbolicLink()) {
      // The kubelet's /var/log/pods entries are symlinks to Docker json-file logs on dockershim nodes.
      const shown = p; // built from the argument as given, relative or absolute
      if (e.isSymbolicLink()) {
        try {
          if (!(await stat(p)).isFile()) continue;
        } catch (err) {
          out.errors.push(describeFsError(err, shown));
          continue;
        }
      }
      // Bundles and archives are not logs; a gzipped log (a kubelet rotation) is read through gunzip.
      if (/\.(tar\.gz|zip|tgz)$/.test(e.name)) continue;
      await addFile(p, shown, out);
    }
  }
}

async function addFile(path: string, shown: string, out: ExpandedInputs, regular = true): Promise<void> {
  // Fail now, with one sentence, rather than mid-stream. Not for a pipe (`analyze <(kubectl logs -p
  // ...)` gives /dev/fd/63): opening and closing its read end could make the writer fail with EPIPE.
  let gzip = /\.gz$/.test(path);
  if (regular) {
    try {
      const fh = await open(path, 'r');
      try {
        const head = Buffer.alloc(3);
        await fh.read(head, 0, 3, 0);
        gzip ||= isGzip(head);
      } finally {
        await fh.close();
      }
    } catch (err) {
      out.errors.push(describeFsError(err, shown));
      return;
    }
  }
  if (gzip) {
    const warnings: string[] = [];
    out.logs.push({
      name: shown,
      open: () => gunzipBounded(createReadStream(path, { highWaterMark: SCAN_CHUNK_BYTES }), shown, warnings),
      subject: subjectFromPath(path),
      warnings,
    });
    return;
  }
  if (regular && /\.(ya?ml|json)$/i.test(path)) {
    const pods = await readPodSpecs(path, shown);
    if (pods.length > 0) {
      for (const pod of pods) out.pods.push({ name: shown, ...pod });
      return;
    }
  }
  out.logs.push({
    name: shown,
    open: () => createReadStream(path, { highWaterMark: SCAN_CHUNK_BYTES }),
    subject: subjectFromPath(path),
    ...(regular ? { file: path, warnings: [] } : {}),
  });
}

/** Pods in a YAML or JSON file (a Pod, a List of Pods, or several documents). Anything else: []. */
export async function readPodSpecs(path: string, shown = path): Promise<PodRead[]> {
  try {
    if ((await lstat(path)).size > MAX_SPEC_BYTES) return [];
    // Loaded only for a .yaml/.json input: YAML and zod cost a short run a third of its start-up.
    const { podsFromText } = await import('./pod-specs.js');
    return podsFromText(await readFile(path, 'utf8'), shown);
  } catch {
    return [];
  }
}
