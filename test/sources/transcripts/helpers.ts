// Runs a pasted text through the transcript reader as analyze does: numbered, cleaned lines.
import { parseTranscript, type TranscriptFacts } from '../../../src/sources/transcripts/index.js';
import { splitLines } from '../../../src/sources/transcripts/lines.js';

export const SRC = 'post.md';

export function read(text: string): TranscriptFacts {
  return parseTranscript(splitLines(Buffer.from(text)), SRC);
}

/** Lines of a template literal without the leading newline and common indentation. */
export function paste(s: string): string {
  const lines = s.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
