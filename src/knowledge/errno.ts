// Linux errno numbers and names (x86-64 and arm64 share these), as crash lines print them.
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
};

const BY_MESSAGE: Record<string, number> = {
  'operation not permitted': 1,
  'resource temporarily unavailable': 11,
  'cannot allocate memory': 12,
  'too many open files in system': 23,
  'too many open files': 24,
  'no space left on device': 28,
  'invalid argument': 22,
};

export function errnoName(n: number): string | undefined {
  return NAMES[n];
}

/** errno from glibc's strerror text ("Resource temporarily unavailable" -> 11). */
export function errnoFromMessage(msg: string): number | undefined {
  return BY_MESSAGE[msg.trim().toLowerCase()];
}

/** Fields for an errno: { errno, errnoName } when known. */
export function errnoFields(n: number | undefined): { errno?: number; errnoName?: string } {
  if (n === undefined || Number.isNaN(n)) return {};
  const name = errnoName(n);
  return name ? { errno: n, errnoName: name } : { errno: n };
}
