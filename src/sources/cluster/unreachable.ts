// The error that stops a cluster walk, in a module of its own: the CLI's scan, pod and collect
// commands check for it at start-up cost, while the walk itself (gather.ts, its zod schemas of pod
// objects) is loaded only when a cluster command runs.

/** Stops the scan: the cluster cannot be reached or refuses our credentials. */
export class ClusterUnreachable extends Error {}
