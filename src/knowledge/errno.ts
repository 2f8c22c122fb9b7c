// Linux errno numbers and names (x86-64 and arm64 share these), as crash lines print them: as a
// number ("errno=11", "(11: ...)", "Os { code: 11", "error 11", "generic:11"), as a name ("EAGAIN",
// "-EAGAIN", libuv/Node, the JVM's unified logging, Ruby's Errno::EMFILE), or as the C library's
// strerror text, which Go's syscall package prints in lower case.
// Sources: torvalds/linux:include/uapi/asm-generic/errno-base.h and errno.h (numbers);
// bminor/glibc:sysdeps/gnu/errlist.h (glibc texts, which bionic and uClibc share);
// bminor/musl:src/errno/__strerror.h, both its current table (EMFILE "No file descriptors
// available", ENOMEM "Out of memory", EBUSY "Resource busy", any errno it has no text for "No error
// information") and its table before 1.1 (EAGAIN "Operation would block", ENFILE "File table
// overflow", EBADF "Bad file number", unknown "Invalid error number"); freebsd/freebsd-src:
// lib/libc/gen/errlst.c (BSD and macOS texts: the same words as glibc for the errnos below, but
// other numbers, e.g. EAGAIN 35, so only the texts are taken from them); libuv/libuv:include/uv.h
// UV_ERRNO_MAP (ENFILE "file table overflow", ENOMEM "not enough memory"); newlib and the Windows
// CRT (ENOMEM "Not enough space").
const NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  9: 'EBADF',
  10: 'ECHILD',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  28: 'ENOSPC',
  32: 'EPIPE',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
  122: 'EDQUOT',
};

const BY_NAME: Record<string, number> = Object.fromEntries(
  Object.entries(NAMES).map(([n, name]) => [name, Number(n)]),
);
// EWOULDBLOCK is EAGAIN on Linux (Rust prints it as kind WouldBlock); ENOTSUP is EOPNOTSUPP.
BY_NAME.EWOULDBLOCK = 11;
BY_NAME.ENOTSUP = 95;

/** strerror texts, lower case, from glibc, musl (old and new), BSD, libuv and newlib. */
const BY_MESSAGE: Record<string, number> = {
  'operation not permitted': 1,
  'no such file or directory': 2,
  'no such process': 3,
  'interrupted system call': 4,
  'bad file descriptor': 9,
  'bad file number': 9, // musl < 1.1
  'no child processes': 10,
  'no child process': 10, // musl
  'resource temporarily unavailable': 11,
  'operation would block': 11, // musl < 1.1
  'cannot allocate memory': 12,
  'out of memory': 12, // musl
  'not enough memory': 12, // libuv
  'not enough space': 12, // newlib, Windows CRT
  'permission denied': 13,
  'device or resource busy': 16,
  'resource busy': 16, // musl
  'file exists': 17,
  'invalid argument': 22,
  'too many open files in system': 23,
  'file table overflow': 23, // libuv, musl < 1.1
  'no file descriptors available': 24, // musl
  'too many open files': 24,
  'no space left on device': 28,
  'broken pipe': 32,
  'function not implemented': 38,
  'function not supported': 38, // musl < 1.1
  'operation not supported': 95,
  'not supported': 95, // musl
  'disk quota exceeded': 122,
  'quota exceeded': 122, // musl
};

/**
 * Texts a C library prints when it has no text for the number (musl "No error information", old
 * musl "Invalid error number", glibc "Unknown error"): the line still says the call failed, but not
 * why, so they map to no errno.
 */
const NO_TEXT = ['no error information', 'invalid error number', 'unknown error'];

export function errnoName(n: number): string | undefined {
  return NAMES[n];
}

/** errno from its symbolic name ("EAGAIN" -> 11, "-EWOULDBLOCK" -> 11, "Errno::EMFILE" -> 24). */
export function errnoFromName(name: string): number | undefined {
  return BY_NAME[
    name
      .trim()
      .replace(/^(?:Errno::|-)/, '')
      .toUpperCase()
  ];
}

/** errno from a C library's strerror text ("Resource temporarily unavailable" -> 11), any case. */
export function errnoFromMessage(msg: string): number | undefined {
  return BY_MESSAGE[msg.trim().toLowerCase()];
}

/** Fields for an errno: { errno, errnoName } when known. */
export function errnoFields(n: number | undefined): { errno?: number; errnoName?: string } {
  if (n === undefined || Number.isNaN(n)) return {};
  const name = errnoName(n);
  return name ? { errno: n, errnoName: name } : { errno: n };
}

/** "Resource temporarily unavailable" -> "[Rr]esource temporarily unavailable": glibc capitalizes, Go does not. */
function eitherCase(text: string): string {
  const first = text[0]!;
  return `[${first.toUpperCase()}${first}]${text.slice(1).replace(/ /g, ' {1,2}')}`;
}

/** Longest first, so "too many open files in system" wins over "too many open files". */
const TEXTS = [...Object.keys(BY_MESSAGE), ...NO_TEXT].sort((a, b) => b.length - a.length);

/**
 * A regex source that matches an errno in any form a program prints after a failed call, with named
 * groups (suffixed, so one pattern can hold several): `text<s>` a strerror text, `name<s>` an errno
 * name, `num<s>` a number introduced by a word that makes it an errno ("errno=11", "error 11",
 * "returned 11", "(11:", "(11)", "generic:11", "os error 11", "code: 11"). A bare number is not taken:
 * "thread 3" is not errno 3. Every part is a literal or a bounded class, so the scan stays linear.
 */
export function errnoPattern(suffix = ''): string {
  const text = `(?<text${suffix}>${TEXTS.map(eitherCase).join('|')})`;
  const name = String.raw`(?<![\w])(?:Errno::|-)?(?<name${suffix}>E(?:AGAIN|WOULDBLOCK|NOMEM|PERM|MFILE|NFILE|NOSPC|INVAL|NOSYS|ACCES|BADF|BUSY))\b`;
  // A number after an errno word, or in parentheses closed by ":", ")" or "," ("(11: ...)", "(11)");
  // never 0, which is success ("pthread_create returned 0"), and never "(12 threads)".
  const num = String.raw`(?:\b(?:[Ee]rrno|[Ee]rror|[Ee]rr|code|rc|ret|returned|status|failed|is|generic)(?: ?[=:] ?| )-?(?!0(?!\d))(?<num${suffix}>\d{1,3})(?![\d.])|\(-?(?!0(?!\d))(?<numParen${suffix}>\d{1,3})(?= ?[:),\uff1a]))`;
  return `(?:${text}|${name}|${num})`;
}

/** The errno of an `errnoPattern` match: from whichever group matched; undefined when none is known. */
export function errnoFromGroups(groups: Record<string, string | undefined> | undefined): number | undefined {
  for (const [key, value] of Object.entries(groups ?? {})) {
    if (value === undefined) continue;
    if (key.startsWith('num')) return Number(value);
    if (key.startsWith('name')) return errnoFromName(value);
    if (key.startsWith('text')) return errnoFromMessage(value.replace(/ {2}/g, ' '));
  }
  return undefined;
}
