import { RateLimitError } from '../errors.js';

/**
 * At most `limit` attempts per key in any `windowMs` (a sliding window of
 * timestamps). In-process: with several API instances each keeps its own
 * count, so the effective limit is per instance.
 */
export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt for `key`; null when allowed, else the milliseconds until one is. Limit 0: no limit. */
  take(key: string): number | null {
    if (this.limit <= 0) return null;
    const now = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.attempts.set(key, recent);
      return recent[0]! + this.windowMs - now;
    }
    recent.push(now);
    this.attempts.set(key, recent);
    if (this.attempts.size > 10_000) this.sweep(now);
    return null;
  }

  private sweep(now: number): void {
    for (const [key, times] of this.attempts) if (!times.some((t) => t > now - this.windowMs)) this.attempts.delete(key);
  }
}

/** Counts one connection attempt for an organization, or refuses it with a RateLimitError saying when to retry. */
export function takeConnectionAttempt(limiter: AttemptLimiter, organizationId: string): void {
  const waitMs = limiter.take(organizationId);
  if (waitMs !== null) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new RateLimitError(`Too many connection attempts: at most ${limiter.limit} a minute per organization; try again in ${seconds} s`, seconds);
  }
}
