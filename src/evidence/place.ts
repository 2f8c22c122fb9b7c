// Where a piece of evidence was read, as every report and note prints it: "path:line" or "path".
import type { Evidence } from './types.js';

export function place(e: Pick<Evidence, 'source' | 'line'>): string {
  return `${e.source}${e.line ? `:${e.line}` : ''}`;
}
