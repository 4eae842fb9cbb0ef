import type { FormattedExecutionResult } from 'graphql';
import { stringifyInSlices } from '../event-loop.js';

/** The data of responses large enough to serialise a slice of the event loop at a time. */
const large = new WeakSet<object>();

/** Marks a response's data (same object in the formatted result) as large: see `responseText`. */
export function serialiseInSlices(data: object): void {
  large.add(data);
}

/**
 * A response's JSON text, compact (Apollo's default indents every response,
 * which costs CPU and bytes on large reads). A large one is serialised in
 * slices (stringifyInSlices): in one piece it held the loop 6–15 ms; a small
 * one in one call, which is cheaper than pieces.
 */
export function responseText(result: FormattedExecutionResult): string | Promise<string> {
  // A result is a plain object: its text is never undefined.
  return (result.data != null && large.has(result.data) ? stringifyInSlices(result) : JSON.stringify(result)) as string | Promise<string>;
}
