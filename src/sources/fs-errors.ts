// One clear sentence for a filesystem error a user can cause; never a stack trace.
export function describeFsError(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `${path}: no such file or directory.`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied (run as a user that can read it, or as root on the node).`;
    case 'EISDIR':
      return `${path}: is a directory where a file was expected.`;
    case 'ENOTDIR':
      return `${path}: a part of the path is not a directory.`;
    case 'ELOOP':
      return `${path}: too many levels of symbolic links.`;
    case 'EMFILE':
    case 'ENFILE':
      return `${path}: too many open files while reading it (raise ulimit -n).`;
    default:
      return `${path}: cannot be read (${code ?? (err instanceof Error ? err.message : String(err))}).`;
  }
}
