import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SourceConnectionError } from '../errors.js';
import { checkAddress } from './address-policy.js';
import { describeSeconds } from './durations.js';
import { countReadableRelations } from './postgres-catalog.dao.js';
import { closeQuietly, connectPostgres, type ConnectOptions, type ConnectProgress, type PostgresSettings } from './postgres.js';

/**
 * The checks a connection test reports, in the order they run. Each names one
 * step a user can fix on its own: configuration (the settings are complete),
 * resolve_host (DNS), address_policy (this server may connect there),
 * tcp_connect, tls (as the sslMode asks), authenticate, open_database,
 * read_catalog (the user can see tables), http_reachable (api sources), and
 * connector (a driver for the source type exists).
 */
export const CHECK_NAMES = [
  'configuration',
  'resolve_host',
  'address_policy',
  'tcp_connect',
  'http_reachable',
  'tls',
  'authenticate',
  'open_database',
  'read_catalog',
  'connector',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];
export type CheckStatus = 'passed' | 'failed' | 'warning' | 'skipped';

export interface ConnectionCheck {
  name: CheckName;
  status: CheckStatus;
  message: string;
}

/** The outcome of a connection test: succeeded only when no check failed or was skipped. */
export interface ConnectionTestReport {
  status: 'succeeded' | 'failed';
  durationMs: number;
  /** One sentence: what worked, or the failing step and why. */
  message: string;
  checks: ConnectionCheck[];
}

export interface TestOptions extends ConnectOptions {
  /** Bound on the whole test; the step running when it passes fails. */
  testTimeoutMs: number;
}

export const NOT_RUN = 'not run: an earlier step failed';

/** Collects checks in a fixed order and turns them into a report. */
export class CheckList {
  private readonly checks = new Map<CheckName, ConnectionCheck>();
  private readonly started = performance.now();

  constructor(private readonly names: readonly CheckName[]) {}

  set(name: CheckName, status: CheckStatus, message: string): void {
    this.checks.set(name, { name, status, message });
  }

  /** The first check with no result yet: the one in progress. */
  current(): CheckName | undefined {
    return this.names.find((n) => !this.checks.has(n));
  }

  /** Marks `name` (or the check in progress) failed with `message`. */
  fail(name: CheckName | undefined, message: string): void {
    const at = name && this.names.includes(name) && !this.checks.has(name) ? name : this.current();
    if (at) this.set(at, 'failed', message);
  }

  /**
   * Records a failed step; a refused address means the host did resolve, so
   * resolve_host passed even though the resolver threw before reporting it.
   */
  failWith(error: SourceConnectionError, host: string): void {
    if (error.step === 'address_policy' && !this.checks.has('resolve_host')) {
      this.set('resolve_host', 'passed', isIP(host) ? `${host} is an IP address` : `${host} resolved`);
    }
    this.fail(error.step as CheckName, error.message);
  }

  report(successMessage: string): ConnectionTestReport {
    const checks = this.names.map((n) => this.checks.get(n) ?? { name: n, status: 'skipped' as const, message: NOT_RUN });
    const failed = checks.find((c) => c.status === 'failed');
    const skipped = checks.find((c) => c.status === 'skipped');
    const status = failed || skipped ? 'failed' : 'succeeded';
    const message = failed ? `${failed.name.replaceAll('_', ' ')} failed: ${failed.message}` : skipped ? `${skipped.name}: ${skipped.message}` : successMessage;
    return { status, durationMs: Math.round(performance.now() - this.started), message, checks };
  }
}

/** Resolves when `promise` does, or with `undefined` once `ms` pass (the promise keeps running). */
export function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve({ value })),
      (error: unknown) => (clearTimeout(timer), reject(error as Error)),
    );
  });
}

const POSTGRES_CHECKS: readonly CheckName[] = ['resolve_host', 'address_policy', 'tcp_connect', 'tls', 'authenticate', 'open_database', 'read_catalog'];

function recordProgress(list: CheckList, settings: PostgresSettings, options: TestOptions, event: ConnectProgress): void {
  switch (event.step) {
    case 'resolve_host': {
      const { address } = event;
      list.set('resolve_host', 'passed', address.address === address.host ? `${address.host} is an IP address` : `${address.host} resolves to ${address.all.join(', ')}`);
      const range = checkAddress(address.address, options.policy).range;
      list.set('address_policy', 'passed', `${address.address} is allowed (${range === 'unicast' ? 'a public address' : `${range}, allowed by this server's policy`})`);
      return;
    }
    case 'tcp_connect':
      list.set('tcp_connect', 'passed', `connected to ${settings.host}:${settings.port}`);
      return;
    case 'tls':
      if (event.encrypted) {
        list.set('tls', 'passed', event.verified ? `encrypted, certificate verified (sslMode ${settings.sslMode})` : `encrypted; the certificate is not checked (sslMode ${settings.sslMode})`);
      } else if (settings.sslMode === 'prefer') {
        list.set('tls', 'warning', 'the server does not offer TLS: connected without encryption (sslMode prefer)');
      } else {
        list.set('tls', 'passed', `not encrypted, as sslMode ${settings.sslMode} allows`);
      }
      return;
    case 'authenticate':
      list.set('authenticate', 'passed', `authenticated as ${settings.user}`);
      return;
    case 'open_database':
      list.set('open_database', 'passed', `database ${settings.database} is open`);
      return;
  }
}

/**
 * Tests PostgreSQL settings (a source or a warehouse) step by step: resolve
 * host, address policy, TCP connect, TLS as configured, authenticate, open
 * database, read catalog. Never throws for a failing step: the report says
 * which failed and why, later steps are skipped. Messages never hold the password.
 */
export async function testPostgresConnection(settings: PostgresSettings, options: TestOptions): Promise<ConnectionTestReport> {
  const list = new CheckList(POSTGRES_CHECKS);
  const run = async (): Promise<void> => {
    const client = await connectPostgres(settings, {
      ...options,
      statementTimeoutMs: Math.min(options.statementTimeoutMs ?? options.testTimeoutMs, options.testTimeoutMs),
      onProgress: (event) => recordProgress(list, settings, options, event),
    });
    try {
      const n = await countReadableRelations(client);
      list.set('read_catalog', n > 0 ? 'passed' : 'warning', n > 0 ? `${n} tables and views are readable` : 'the user can read no tables or views outside the system schemas');
    } finally {
      await closeQuietly(client);
    }
  };
  const running = run();
  try {
    const done = await withinDeadline(running, options.testTimeoutMs);
    if (!done) {
      // It ends on its own (each step is bounded) and closes its client.
      running.catch(() => undefined);
      list.fail(undefined, `timed out after ${describeSeconds(options.testTimeoutMs)} (the whole test's limit)`);
    }
  } catch (error) {
    if (!(error instanceof SourceConnectionError)) throw error;
    list.failWith(error, settings.host);
  }
  return list.report(`connected to ${settings.database} on ${settings.host}:${settings.port} as ${settings.user}`);
}
