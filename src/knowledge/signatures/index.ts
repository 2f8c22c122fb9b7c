// The registry of crash signatures: one module per crash family. Adding a family = one file + one line here.
import type { SignatureDef } from '../types.js';
import { signatures as goRuntime } from './go-runtime.js';

export const SIGNATURES: readonly SignatureDef[] = [...goRuntime];

export function signatureById(id: string): SignatureDef | undefined {
  return SIGNATURES.find((s) => s.id === id);
}
