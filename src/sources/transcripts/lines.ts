// Reading a transcript safely and finding the command lines in it. Transcripts are untrusted input
// (tickets, posts, logs of any size), so only the first MAX_BYTES are read, a line longer than
// MAX_LINE is skipped whole, escape sequences and control characters are removed before any pattern
// sees a line, and every pattern used on a line is anchored with bounded repetition (linear time).
import { open, stat } from 'node:fs/promises';
import type { Command, TLine } from './types.js';

/** Pasted command output sits in the first few MiB of a post or ticket; the crash scanner reads the rest. */
export const MAX_BYTES = 4 << 20;
/** A pasted line is short; `docker inspect -f '{{json .}}'` is the longest one people paste (tens of KiB). */
export const MAX_LINE = 64 << 10;

export interface ReadLines {
  lines: TLine[];
  /** The file is longer than MAX_BYTES. */
  truncated: boolean;
}

/** The first MAX_BYTES of a regular file as cleaned lines; undefined for a pipe, a device or an unreadable path. */
export async function readLines(path: string): Promise<ReadLines | undefined> {
  try {
    // A pipe (`analyze <(kubectl logs ...)`) is read once, by the crash scanner: never open it here.
    if (!(await stat(path)).isFile()) return undefined;
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(MAX_BYTES + 1);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const truncated = got > MAX_BYTES;
      return { lines: splitLines(buf.subarray(0, Math.min(got, MAX_BYTES)), truncated), truncated };
    } finally {
      await fh.close();
    }
  } catch {
    return undefined; // the scanner reports an unreadable input in its own words
  }
}

/** Lines of a buffer, numbered from 1; a cut last line is dropped when the buffer is a prefix of the file. */
export function splitLines(buf: Buffer, truncated = false): TLine[] {
  const out: TLine[] = [];
  let start = 0;
  let n = 0;
  while (start <= buf.length) {
    let end = buf.indexOf(10, start);
    if (end === -1) {
      if (truncated) break;
      end = buf.length;
    }
    n++;
    if (end - start <= MAX_LINE) {
      const text = clean(buf.toString('utf8', start, end));
      if (text !== '' || end < buf.length) out.push({ n, text });
    } else out.push({ n, text: '' }); // a huge line is nobody's output: it ends any block like a blank line
    start = end + 1;
  }
  return out;
}

/** Removes terminal escape sequences, carriage returns and control characters (tabs become spaces). */
export function clean(raw: string): string {
  // Escapes start with ESC and tabs are controls too: most lines have none, and one test spares them
  // four replace passes (a fifth of the transcript pass over a 4 MiB log head).
  if (!CONTROL.test(raw)) return raw;
  return raw
    .replace(/\x1b\[[0-9;?]{0,32}[ -/]{0,4}[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)?/g, '')
    .replace(/\t/g, '    ')
    .replace(/[\x00-\x1f\x7f\u200b\ufeff]/g, '');
}

const CONTROL = /[\x00-\x1f\x7f\u200b\ufeff]/;

/** Commands whose output a parser reads, or that show which pod and container the post is about. */
const KNOWN = new Set([
  'kubectl',
  'oc',
  'docker',
  'podman',
  'nerdctl',
  'crictl',
  'cat',
  'sysctl',
  'ulimit',
  'ps',
  'lsof',
  'ls',
  'systemctl',
  'dmesg',
  'journalctl',
  'grep',
  'egrep',
  'head',
  'tail',
  'wc',
  'find',
]);
const PREFIXES = new Set(['sudo', 'sudo -i', 'nsenter', 'command', 'time', 'env']);
/**
 * A known command's name as it must appear for words() and basename() to find it: after the start,
 * a space, a quote or a slash, and before the end, a space, a quote or a pipe (".sh"/".exe" allowed).
 */
const KNOWN_WORD = new RegExp(`(?:^|[\\s/'"])(?:${[...KNOWN].join('|')})(?:\\.(?:sh|exe))?(?=$|[\\s'"|])`);

// user@host:dir$ , [user@host dir]# , sh-4.2# , (venv) ... ; the prompt character is $, # or %.
const PROMPT =
  /^(?:\([^()]{1,40}\)\s)?(?:\[[^\]]{1,120}\]|[\w.-]{1,64}@([\w.-]{1,64})(?::[^\s$#%]{0,200})?|(?:ba|z|k|da)?sh-[\d.]{1,8}|[~/][^\s$#%]{0,200})?\s?([$#%])\s{1,8}(\S.{0,2000})$/;

/**
 * The command on a line, or undefined. A line is a command when a shell prompt precedes a known
 * command, or when it starts with a known command followed by an argument (pasted without prompt, as
 * in the seed). A bare "# text" is a comment unless a known command follows: config files are full of them.
 */
export function commandOf(l: TLine): Command | undefined {
  const t = l.text.trim();
  if (t.length === 0 || t.length > 2000) return undefined;
  const p = PROMPT.exec(t);
  // Without a prompt only a known command makes a line a command, and its name then stands as a
  // word of its own (or ends a path): most lines of a log are ruled out here, before the pipes and
  // words are split (the costly part on a log of millions of lines).
  if (!p && !KNOWN_WORD.test(t)) return undefined;
  let body = t;
  let containerPrompt = false;
  if (p) {
    body = p[3]!;
    // A prompt naming a 12-hex container id (root@a9eade3085a5:/#) is a shell inside a container.
    containerPrompt = p[1] !== undefined && /^[0-9a-f]{12}$/.test(p[1]);
  }
  const stages = splitPipes(body);
  let argv = words(stages[0] ?? '');
  while (argv.length > 0 && PREFIXES.has(argv[0]!)) argv = argv.slice(1);
  if (argv[0] === 'sudo') argv = argv.slice(1);
  // ./cluster/kubectl.sh, /usr/bin/cat: the tool by its name.
  if (argv.length > 0) argv = [basename(argv[0]!).replace(/\.(sh|exe)$/, ''), ...argv.slice(1)];
  const known = argv.length > 0 && KNOWN.has(basename(argv[0]!));
  if (!known) {
    // "$ something" is still a command (it ends the previous output); "# text" and bare text are not.
    if (p && p[2] === '$' && /^[\w./-]{1,64}$/.test(argv[0] ?? '')) return emptyCommand(l, body, argv);
    return undefined;
  }
  if (!p && argv.length < 2) return undefined; // "cat" alone at the start of a sentence is prose
  if (!p && !/^[-/$~.A-Za-z0-9_'"]/.test(argv[1] ?? '')) return undefined;
  const cmd: Command = {
    text: body,
    argv,
    pipes: stages.slice(1).map(words),
    inContainer: containerPrompt,
    outer: argv,
    line: l,
  };
  return unwrapExec(cmd);
}

function emptyCommand(l: TLine, body: string, argv: string[]): Command {
  return { text: body, argv, pipes: [], inContainer: false, outer: argv, line: l };
}

/** `kubectl exec pod -c x -- cat /proc/1/limits`, `docker exec id sh -c 'ulimit -a'`: the inner command, run in the container. */
function unwrapExec(cmd: Command): Command {
  const a = cmd.argv;
  const tool = basename(a[0]!);
  const isExec =
    (['kubectl', 'oc'].includes(tool) && a.includes('exec')) ||
    (['docker', 'podman', 'nerdctl', 'crictl'].includes(tool) && (a[1] === 'exec' || a[2] === 'exec'));
  if (!isExec) return cmd;
  let inner: string[];
  const dash = a.indexOf('--');
  if (dash >= 0) inner = a.slice(dash + 1);
  else {
    // docker exec [-it] [-u x] <id> cmd...: the first word after the id.
    const rest = a.slice(a.indexOf('exec') + 1);
    let i = 0;
    while (i < rest.length && rest[i]!.startsWith('-'))
      i += /^-(u|e|w|-user|-env|-workdir)$/.test(rest[i]!) ? 2 : 1;
    inner = rest.slice(i + 1);
  }
  if (inner.length >= 3 && /^(ba|da|a)?sh$/.test(basename(inner[0]!)) && inner[1] === '-c') {
    const stages = splitPipes(inner.slice(2).join(' '));
    return {
      ...cmd,
      argv: words(stages[0] ?? ''),
      pipes: [...stages.slice(1).map(words), ...cmd.pipes],
      inContainer: true,
      outer: dash >= 0 ? a.slice(0, dash) : a,
    };
  }
  return { ...cmd, argv: inner, inContainer: true, outer: dash >= 0 ? a.slice(0, dash) : a };
}

/** Pipeline stages of a command line, split on | outside quotes (|| and | inside quotes are kept). */
function splitPipes(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = undefined;
      cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      cur += c;
    } else if (c === '|' && s[i + 1] !== '|' && s[i - 1] !== '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
    if (out.length > 16) break;
  }
  out.push(cur.trim());
  return out;
}

/** Shell words, quotes removed (no expansion); at most 64. */
export function words(s: string): string[] {
  const out: string[] = [];
  const re = /'([^']{0,2000})'|"([^"]{0,2000})"|(\S{1,2000})/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) && out.length < 64) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The value of an option: `-n x`, `-nx`, `--namespace x`, `--namespace=x`. */
export function optionOf(argv: string[], short: string | undefined, long: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((short && a === short) || a === long) return argv[i + 1];
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
    if (short && a.startsWith(short) && a.length > short.length && !a.startsWith('--'))
      return a.slice(short.length);
  }
  return undefined;
}

/** The files a `cat`/`head`/`tail`/`grep` stage names (words that are paths, after the options). */
export function filesOf(argv: string[]): string[] {
  const tool = basename(argv[0] ?? '');
  const args = argv.slice(1).filter((a) => !a.startsWith('-'));
  // grep's first non-option word is the pattern.
  const files = ['grep', 'egrep'].includes(tool) ? args.slice(1) : args;
  return files.filter((f) => /^[/~.$\w]/.test(f));
}

/** A number, or null for unlimited/infinity/max/-1; undefined for anything else. */
export function limitValue(s: string | undefined): number | null | undefined {
  if (s === undefined) return undefined;
  const t = s.trim().replace(/,$/, '');
  if (/^(unlimited|infinity|max|-1)$/i.test(t)) return null;
  if (/^\d{1,19}$/.test(t)) {
    const v = Number(t);
    return Number.isSafeInteger(v) ? v : null; // 9223372036854775807 is "no limit" in every kernel file
  }
  return undefined;
}
