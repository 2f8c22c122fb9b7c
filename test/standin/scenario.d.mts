import type { StandinCluster } from './server.mjs';
export const CALICO_LOG: string;
export function scenario(opts?: { healthy?: number }): Required<StandinCluster>;
