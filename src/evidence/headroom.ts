/** At or above this share of a limit, node.limits keeps the entry and the headroom audit warns. */
export const HEADROOM_WARN_RATIO = 0.8;
