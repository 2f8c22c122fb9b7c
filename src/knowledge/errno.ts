// Linux errno numbers and names (x86-64 and arm64 share these), as crash lines print them: as a
// number ("errno=11", "(11: ...)", "Os { code: 11"), as a name ("EAGAIN", libuv/Node and the JVM's
// unified logging), or as glibc's strerror text, which Go's syscall package prints in lower case.
// Source: torvalds/linux:include/uapi/asm-generic/errno-base.h, bminor/glibc:sysdeps/gnu/errlist.h.
// The same errno reads differently in other C libraries and runtimes, so the texts below include
// musl's (bminor/musl:src/errno/__strerror.h: EMFILE "No file descriptors available", ENOMEM "Out of
// memory"; before musl 1.1 ENFILE "File table overflow", EAGAIN "Operation would block") and
// libuv's (libuv/libuv:include/uv.h UV_ERRNO_MAP: ENFILE "file table overflow", ENOMEM "not enough
// memory"). BSD libcs use glibc's texts for these errnos.
const NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  28: 'ENOSPC',
  38: 'ENOSYS',
};

const BY_NAME: Record<string, number> = Object.fromEntries(
  Object.entries(NAMES).map(([n, name]) => [name, Number(n)]),
);
// EWOULDBLOCK is EAGAIN on Linux; Rust prints it as kind WouldBlock.
BY_NAME.EWOULDBLOCK = 11;

const BY_MESSAGE: Record<string, number> = {
  'operation not permitted': 1,
  'no such file or directory': 2,
  'resource temporarily unavailable': 11,
  'operation would block': 11,
  'cannot allocate memory': 12,
  'out of memory': 12,
  'not enough memory': 12,
  'permission denied': 13,
  'too many open files in system': 23,
  'file table overflow': 23,
  'no file descriptors available': 24,
  'too many open files': 24,
  'no space left on device': 28,
  'invalid argument': 22,
  'function not implemented': 38,
  'function not supported': 38,
};

export function errnoName(n: number): string | undefined {
  return NAMES[n];
}

/** errno from its symbolic name ("EAGAIN" -> 11, "EWOULDBLOCK" -> 11). */
export function errnoFromName(name: string): number | undefined {
  return BY_NAME[name.trim().toUpperCase()];
}

/** errno from glibc's strerror text ("Resource temporarily unavailable" -> 11), any case. */
export function errnoFromMessage(msg: string): number | undefined {
  return BY_MESSAGE[msg.trim().toLowerCase()];
}

/** Fields for an errno: { errno, errnoName } when known. */
export function errnoFields(n: number | undefined): { errno?: number; errnoName?: string } {
  if (n === undefined || Number.isNaN(n)) return {};
  const name = errnoName(n);
  return name ? { errno: n, errnoName: name } : { errno: n };
}
