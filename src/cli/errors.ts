// Errors the user can cause end in one line on stderr and exit status 1; never a stack trace.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`podmortem: ${message}\n`);
  process.exit(code);
}
