import { isDeepStrictEqual } from 'node:util';

/**
 * The columns of a patch that would change the row: those not given
 * (undefined) and those equal to the stored value are dropped. An update
 * whose changes are empty returns the row as it is, without a write, a version
 * bump or an audit entry.
 */
export function changedColumns<P extends object>(before: object, patch: P): Partial<P> {
  const stored = before as Record<string, unknown>;
  return Object.fromEntries(Object.entries(patch).filter(([key, value]) => value !== undefined && !isDeepStrictEqual(stored[key], value))) as Partial<P>;
}

export const isUnchanged = (changes: object): boolean => Object.keys(changes).length === 0;
