/**
 * At most `limit` GraphQL requests execute at once in this process; the rest
 * wait in arrival order. Node runs one request's JavaScript at a time, so more
 * at once does not answer faster: it only holds more half-built responses in
 * memory (a 1.5 MB dashboard response is several MB of objects while it is
 * built) and makes garbage collection work harder. A waiting request still
 * counts against GRAPHQL_TIMEOUT_MS, so a queue that grows too long sheds load
 * with 503 TIMEOUT rather than memory.
 */
export class ExecutionGate {
  private running = 0;
  private readonly waiting: { grant: () => void; abandoned: boolean }[] = [];
  private head = 0;

  constructor(readonly limit: number) {}

  /** Requests executing now. */
  get active(): number {
    return this.running;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    let n = 0;
    for (let i = this.head; i < this.waiting.length; i++) if (!this.waiting[i]!.abandoned) n++;
    return n;
  }

  /**
   * Resolves once the request may execute; call `release` exactly once when
   * its response is done. `abandon` (the client left, or the request timed
   * out while waiting) takes a waiting request out of the queue.
   */
  enter(): { ready: Promise<void>; release: () => void; abandon: () => void } {
    let state: 'waiting' | 'running' | 'done' = 'waiting';
    const release = () => {
      if (state === 'running') {
        this.running--;
        this.next();
      }
      state = 'done';
    };
    if (this.running < this.limit) {
      this.running++;
      state = 'running';
      return { ready: Promise.resolve(), release, abandon: release };
    }
    let entry!: { grant: () => void; abandoned: boolean };
    const ready = new Promise<void>((resolve) => {
      entry = {
        abandoned: false,
        grant: () => {
          state = 'running';
          resolve();
        },
      };
    });
    this.waiting.push(entry);
    const abandon = () => {
      if (state === 'waiting') {
        entry.abandoned = true;
        state = 'done';
      } else release();
    };
    return { ready, release, abandon };
  }

  private next(): void {
    while (this.head < this.waiting.length && this.running < this.limit) {
      const entry = this.waiting[this.head++]!;
      if (entry.abandoned) continue;
      this.running++;
      entry.grant();
    }
    // Drop the served prefix now and then, so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}
