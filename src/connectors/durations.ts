/** "5 s", "1.5 s", "0.2 s": a duration in milliseconds as a user reads it in a message. */
export function describeSeconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  return `${s} s`;
}
