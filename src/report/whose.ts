// Where a piece of evidence was read and, when it says so, whose it is: a restarted instance's usage
// a second after its start must never read as what the crashed instance held.
import type { Evidence, Instance } from '../evidence/types.js';
import { place } from '../evidence/place.js';

const WHOSE: Record<Instance, string> = {
  crashed: 'crashed instance',
  restarted: 'restarted instance, now',
  node: 'node, now',
};

/** "path:line (restarted instance, now)"; just "path:line" when the evidence does not say whose it is. */
export function placeAndWhose(e: Evidence): string {
  return e.of ? `${place(e)} (${WHOSE[e.of]})` : place(e);
}
