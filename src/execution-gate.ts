/**
 * Admission in arrival order under a capacity: each request takes `weight`
 * units (1 per request, or its query cost) until it is done; one that does not
 * fit waits, and so does everyone behind it (a heavy request is not starved
 * by light ones). A request heavier than the whole capacity runs alone.
 *
 * Node runs one request's JavaScript at a time, so more at once does not
 * answer faster: it only holds more half-built responses in memory (a 1.5 MB
 * dashboard response is several MB of objects while it is built) and makes
 * garbage collection work harder. A waiting request still counts against
 * GRAPHQL_TIMEOUT_MS, so a queue that grows too long sheds load with 503
 * TIMEOUT rather than memory.
 */
export class ExecutionGate {
  private used = 0;
  private holders = 0;
  private readonly waiting: { weight: number; grant: () => void; abandoned: boolean }[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  /** Requests admitted and not yet done. */
  get active(): number {
    return this.holders;
  }

  /** Units those requests hold. */
  get load(): number {
    return this.used;
  }

  /** Requests waiting for admission. */
  get queued(): number {
    let n = 0;
    for (let i = this.head; i < this.waiting.length; i++) if (!this.waiting[i]!.abandoned) n++;
    return n;
  }

  /**
   * Resolves once the request may execute; call `release` once it is done
   * (later calls do nothing). `abandon` (the client left, or the request timed
   * out while waiting) takes a waiting request out of the queue, or releases
   * an admitted one.
   */
  enter(weight = 1): { ready: Promise<void>; release: () => void; abandon: () => void } {
    const units = Math.max(0, Math.min(weight, this.capacity));
    let state: 'waiting' | 'running' | 'done' = 'waiting';
    const release = () => {
      if (state === 'running') {
        this.used -= units;
        this.holders--;
        state = 'done';
        this.next();
      }
      state = 'done';
    };
    if (this.queued === 0 && this.fits(units)) {
      this.admit(units);
      state = 'running';
      return { ready: Promise.resolve(), release, abandon: release };
    }
    let entry!: { weight: number; grant: () => void; abandoned: boolean };
    const ready = new Promise<void>((resolve) => {
      entry = {
        weight: units,
        abandoned: false,
        grant: () => {
          state = 'running';
          resolve();
        },
      };
    });
    this.waiting.push(entry);
    const abandon = () => {
      if (state !== 'waiting') return release();
      entry.abandoned = true;
      state = 'done';
      this.next(); // it may have been the head that held the others back
    };
    return { ready, release, abandon };
  }

  private fits(units: number): boolean {
    return this.holders === 0 || this.used + units <= this.capacity;
  }

  private admit(units: number): void {
    this.used += units;
    this.holders++;
  }

  private next(): void {
    while (this.head < this.waiting.length) {
      const entry = this.waiting[this.head]!;
      if (entry.abandoned) {
        this.head++;
        continue;
      }
      if (!this.fits(entry.weight)) break;
      this.head++;
      this.admit(entry.weight);
      entry.grant();
    }
    // Drop the served prefix now and then, so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}
