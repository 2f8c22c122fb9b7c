// What a failed thread creation says about memory. glibc's pthread_create maps the thread's stack
// itself (bminor/glibc:nptl/allocatestack.c: mmap PROT_NONE, then mprotect the usable part, which is
// when the commit accounting charges it) and turns a refused mapping (ENOMEM) into EAGAIN
// (nptl/pthread_create.c). So a memory cause of EAGAIN is a refused stack mapping: the node's
// commit accounting (vm.overcommit_memory=2), RLIMIT_AS, vm.max_map_count. A stack larger than
// glibc's own default (RLIMIT_STACK, 8 MiB) makes those the likelier ones: every thread then commits
// and reserves that much, while a task-count limit does not care about stack sizes. EPERM, on the
// other hand, is never what a refused mapping gives.
import type { Fields, SignatureHit } from '../../../evidence/types.js';
import type { CauseContext } from '../../types.js';
import { errnoOf } from './common.js';

/** glibc's default thread stack (RLIMIT_STACK 8 MiB): the largest stack most programs ever ask for. */
export const GLIBC_DEFAULT_STACK_KB = 8192;

/** A thread-creation line that shows a stack larger than glibc's default and EAGAIN (or no errno). */
export const asksLargeStack = (f: Fields): boolean =>
  typeof f.stackKb === 'number' &&
  f.stackKb > GLIBC_DEFAULT_STACK_KB &&
  (f.errno === undefined || f.errno === 11);

/** The large stack a raising line asked for (HotSpot's "[os,thread] ... stacksize: 24576k"), if any. */
export function largeStack(ctx: CauseContext): { kb: number; hit: SignatureHit } | undefined {
  for (const { signature } of ctx.raisedBy)
    if (asksLargeStack(signature.fields)) return { kb: signature.fields.stackKb as number, hit: signature };
  return undefined;
}

/**
 * Every line that raised this cause did so as a thread stack glibc could not map (the speculative
 * glibc-stack raise or a large stack), none for another reason (a fork, an mmap the program made).
 */
export function onlyThreadStacks(ctx: CauseContext): boolean {
  return ctx.raisedBy.every((r) => r.raise.speculative === true || asksLargeStack(r.signature.fields));
}

/**
 * The errno another line of the incident showed for the same failure, when the lines that raised
 * this cause show none, and it is one no refused mapping produces: HotSpot prints its generic
 * "insufficient memory for the Java Runtime Environment" banner above a GC thread creation that
 * its [os,thread] warning says failed with EPERM.
 */
export function notAMemoryErrno(ctx: CauseContext): { value: number; hit: SignatureHit } | undefined {
  if (errnoOf(ctx)) return undefined;
  for (const hit of ctx.incident.signatures) {
    const v = hit.fields.errno;
    if (v === 1) return { value: v, hit };
  }
  return undefined;
}
