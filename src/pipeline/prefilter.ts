// The scanner's one prefilter pass looks for every keyword of every signature at once: the
// knowledge decides the keywords, the log source decides how they are searched.
import type { SignatureDef } from '../knowledge/types.js';
import { buildPrefilter, type Prefilter } from '../sources/logs/scanner.js';

export function prefilterFor(signatures: readonly SignatureDef[]): Prefilter {
  return buildPrefilter(signatures.flatMap((s) => s.keywords));
}
