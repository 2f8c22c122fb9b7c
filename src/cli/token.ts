// --token-file as the agent and the server take it: one word in a file (a mounted Secret).
import { readFileSync } from 'node:fs';
import { describeFsError } from '../sources/fs-errors.js';
import { UsageError } from './errors.js';

/** The token in FILE (a mounted Secret), surrounding whitespace removed; one sentence when unusable. */
export function readToken(file: string, flag = '--token-file'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${describeFsError(err, file)}`);
  }
  const token = text.trim();
  if (token.length === 0) throw new UsageError(`${flag} ${file}: the file is empty.`);
  if (/\s/.test(token))
    throw new UsageError(`${flag} ${file}: a token is one word, without spaces or lines.`);
  return token;
}
