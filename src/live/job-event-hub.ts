import pg from 'pg';
import { decodeJobEvent, JOB_EVENTS_CHANNEL, type JobEvent } from '../jobs/job-events.dao.js';
import type { Logger } from '../logger.js';
import { CREDENTIALS_CHANNEL, listenForJobEvents } from './job-listen.dao.js';

/**
 * What a subscriber is told: one job changed, or "you may have missed
 * changes since `since`" after the listener was (re)connected.
 */
export type JobSignal = { kind: 'event'; event: JobEvent } | { kind: 'resync'; since: Date };

/** Changes may be missed from a little before the connection was lost (clock skew, in-flight commits). */
const RESYNC_MARGIN_MS = 5_000;

/** One subscriber's queue of signals, all of one organization. */
export class JobSignalQueue {
  private queue: JobSignal[] = [];
  private waiter: ((signals: JobSignal[] | null) => void) | null = null;
  private closed = false;

  constructor(
    readonly organizationId: string,
    private readonly onClose: (queue: JobSignalQueue) => void,
  ) {}

  push(signal: JobSignal): void {
    if (this.closed) return;
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = null;
      wake([signal]);
    } else this.queue.push(signal);
  }

  /** Forgets what is queued: a read that starts now sees at least that state. */
  drain(): void {
    this.queue = [];
  }

  /** Every queued signal (waiting for one when none is); null once closed. */
  take(): Promise<JobSignal[] | null> {
    if (this.closed) return Promise.resolve(null);
    if (this.queue.length > 0) {
      const signals = this.queue;
      this.queue = [];
      return Promise.resolve(signals);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.waiter?.(null);
    this.waiter = null;
    this.onClose(this);
  }
}

export interface JobEventHubOptions {
  connectionString: string;
  logger: Logger;
  reconnect: { minMs: number; maxMs: number };
  connectTimeoutMs?: number;
}

/**
 * Told that an organization's credentials changed (its id), or `null` after the
 * listener reconnected: any may have changed meanwhile.
 */
export type CredentialsWatcher = (organizationId: string | null) => void;

/**
 * The API process's one listening connection on `datalinx_job_events`
 * (src/jobs/job-events.dao.ts), fanned out to the subscribers of each
 * organization, and on `datalinx_credentials`, told to the credential
 * watchers (the WebSocket server). Started by the first subscriber or watcher. A lost connection is
 * reopened with exponential backoff (with jitter); once it listens again,
 * every subscriber gets a `resync` signal and re-reads what it watches, so
 * nothing is missed silently.
 */
export class JobEventHub {
  private readonly byOrganization = new Map<string, Set<JobSignalQueue>>();
  private readonly credentialWatchers = new Set<CredentialsWatcher>();
  private client: pg.Client | null = null;
  private state: 'idle' | 'connecting' | 'listening' | 'waiting' | 'closed' = 'idle';
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** When the listener last stopped listening (or first started connecting). */
  private missedSince: Date | null = null;
  private readyWaiters = new Set<() => void>();
  /** How many times a connection started listening: 1 after the first, +1 per reconnect. */
  listens = 0;

  constructor(private readonly options: JobEventHubOptions) {}

  get listening(): boolean {
    return this.state === 'listening';
  }

  /** The backend pid of the listening connection (tests terminate it), or null. */
  get backendPid(): number | null {
    return this.state === 'listening' ? ((this.client as unknown as { processID?: number } | null)?.processID ?? null) : null;
  }

  /** Subscribers currently registered (metrics). */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.byOrganization.values()) n += set.size;
    return n;
  }

  /** A queue of the organization's job signals; close it when done. */
  subscribe(organizationId: string): JobSignalQueue {
    const queue = new JobSignalQueue(organizationId, (q) => this.unsubscribe(q));
    if (this.state === 'closed') {
      queue.close();
      return queue;
    }
    let set = this.byOrganization.get(organizationId);
    if (!set) this.byOrganization.set(organizationId, (set = new Set()));
    set.add(queue);
    if (this.state === 'idle') void this.connect();
    return queue;
  }

  /** Calls `watcher` on every credential change; returns how to stop. */
  watchCredentials(watcher: CredentialsWatcher): () => void {
    if (this.state === 'closed') return () => undefined;
    this.credentialWatchers.add(watcher);
    if (this.state === 'idle') void this.connect();
    return () => this.credentialWatchers.delete(watcher);
  }

  private tellWatchers(organizationId: string | null): void {
    for (const watch of this.credentialWatchers) {
      try {
        watch(organizationId);
      } catch (err) {
        this.options.logger.error({ err }, 'credentials watcher failed');
      }
    }
  }

  /** Resolves true once listening (at once if it is), false after `timeoutMs` or on close. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.state === 'listening') return Promise.resolve(true);
    if (this.state === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(this.state === 'listening');
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.readyWaiters.add(done);
    });
  }

  /** Stops listening for good and ends every subscriber's queue. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const wake of [...this.readyWaiters]) wake();
    for (const set of [...this.byOrganization.values()]) for (const q of [...set]) q.close();
    this.credentialWatchers.clear();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private unsubscribe(queue: JobSignalQueue): void {
    const set = this.byOrganization.get(queue.organizationId);
    set?.delete(queue);
    if (set?.size === 0) this.byOrganization.delete(queue.organizationId);
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    this.missedSince ??= new Date();
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: 'datalinx-job-events',
      keepAlive: true,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000,
    });
    client.on('notification', (msg) => {
      if (msg.channel === CREDENTIALS_CHANNEL) {
        if (msg.payload) this.tellWatchers(msg.payload);
        return;
      }
      if (msg.channel !== JOB_EVENTS_CHANNEL) return;
      const event = decodeJobEvent(msg.payload);
      if (!event) return;
      for (const q of this.byOrganization.get(event.organizationId) ?? []) q.push({ kind: 'event', event });
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    this.client = client;
    try {
      await client.connect();
      await listenForJobEvents(client);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client || this.state !== 'connecting') return;
    this.state = 'listening';
    this.failures = 0;
    this.listens++;
    const since = new Date(this.missedSince.getTime() - RESYNC_MARGIN_MS);
    this.missedSince = null;
    if (this.listens > 1) this.options.logger.info({ subscribers: this.subscriberCount }, 'job events: listening again; subscribers re-read their jobs');
    // Signals first, then the waiters: a subscriber that waited drains them and reads afterwards.
    for (const set of this.byOrganization.values()) for (const q of set) q.push({ kind: 'resync', since });
    if (this.listens > 1) this.tellWatchers(null);
    for (const wake of [...this.readyWaiters]) wake();
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client || this.state === 'closed' || this.state === 'waiting') return;
    this.client = null;
    if (this.state === 'listening') this.missedSince = new Date();
    this.state = 'waiting';
    void client.end().catch(() => undefined);
    const { minMs, maxMs } = this.options.reconnect;
    const delay = Math.min(maxMs, minMs * 2 ** this.failures) * (0.5 + Math.random() / 2);
    this.failures = Math.min(this.failures + 1, 30);
    this.options.logger.warn({ err: err instanceof Error ? { message: err.message, code: (err as { code?: unknown }).code } : undefined, retryInMs: Math.round(delay) }, 'job events: listener connection lost; reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state === 'waiting') void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
