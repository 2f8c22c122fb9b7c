// One fixed seed and case count for every property test, so CI runs are reproducible; a longer run
// before a release: FUZZ_RUNS=200000 FUZZ_SEED=$RANDOM npx vitest run test/fuzz (see README, Security).
export const FUZZ = {
  seed: Number(process.env.FUZZ_SEED ?? 1_100_011),
  numRuns: Number(process.env.FUZZ_RUNS ?? 2000),
};
