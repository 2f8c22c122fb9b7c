// Waiting for something the lab started (a container, a log line, a cgroup emptied). Deadlines here
// only stop a wait that would otherwise hang the run; no test asserts how long anything took.

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value (not undefined) or `tries` polls `every` ms apart ran out. */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  tries: number,
  every = 100,
): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(every);
  }
  return undefined;
}
