// The registry of causes: one module per cause id of the contract.
import type { CauseDef } from '../types.js';
import { cause as kernelPidMax } from './kernel-pid-max.js';

export const CAUSES: readonly CauseDef[] = [kernelPidMax];

export function causeById(id: string): CauseDef | undefined {
  return CAUSES.find((c) => c.id === id);
}
