import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import pg from 'pg';
import { SourceConnectionError } from '../errors.js';
import { resolveAllowedAddress, type AddressPolicy, type ResolvedAddress } from './address-policy.js';
import { connectFailure, type ConnectStep } from './postgres-errors.js';

/** libpq's sslmode values. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** How to reach a PostgreSQL database (a source or a warehouse): the password in clear. */
export interface PostgresSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string | null;
  sslMode: SslMode;
}

/** What happened at each step, for callers that report progress (the connection test). */
export type ConnectProgress =
  | { step: 'resolve_host'; address: ResolvedAddress }
  | { step: 'tcp_connect' }
  | { step: 'tls'; encrypted: boolean; verified: boolean; note?: string }
  | { step: 'authenticate' }
  | { step: 'open_database' };

export interface ConnectOptions {
  policy: AddressPolicy;
  /** Bound on DNS resolution and on opening the connection (TCP, TLS, authentication), each. */
  connectTimeoutMs: number;
  /** statement_timeout of the session; none when unset. */
  statementTimeoutMs?: number;
  applicationName?: string;
  onProgress?: (event: ConnectProgress) => void;
}

/** The TLS settings of one attempt, honest to libpq's meaning of the mode. */
function tlsFor(mode: 'unverified' | 'verify-ca' | 'verify-full', host: string): ConnectionOptions {
  // SNI and the certificate check use the name the user typed, while the socket goes to the checked address.
  const servername = isIP(host) ? undefined : host;
  if (mode === 'unverified') return { rejectUnauthorized: false, servername };
  if (mode === 'verify-ca') return { rejectUnauthorized: true, servername, checkServerIdentity: () => undefined };
  return { rejectUnauthorized: true, servername };
}

type Attempt = false | ConnectionOptions;

async function attempt(
  resolved: ResolvedAddress,
  settings: PostgresSettings,
  ssl: Attempt,
  options: ConnectOptions,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: resolved.address,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: settings.password ?? undefined,
    ssl,
    keepAlive: true,
    statement_timeout: options.statementTimeoutMs ?? false,
    application_name: options.applicationName ?? 'datalinx',
  });
  // An error on an idle client is an 'error' event: without a listener it would end the process.
  client.on('error', () => undefined);
  let phase: ConnectStep = 'tcp_connect';
  let timedOut = false;
  const con = client.connection;
  con.once('connect', () => {
    options.onProgress?.({ step: 'tcp_connect' });
    phase = ssl ? 'tls' : 'authenticate';
  });
  con.once('sslconnect', () => {
    (con.stream as TLSSocket).once('secureConnect', () => {
      options.onProgress?.({ step: 'tls', encrypted: true, verified: ssl !== false && ssl.rejectUnauthorized === true });
      phase = 'authenticate';
    });
  });
  con.once('authenticationOk', () => {
    if (!ssl) options.onProgress?.({ step: 'tls', encrypted: false, verified: false });
    options.onProgress?.({ step: 'authenticate' });
    phase = 'open_database';
  });
  const timer = setTimeout(() => {
    timedOut = true;
    con.stream.destroy();
  }, options.connectTimeoutMs);
  try {
    await client.connect();
  } catch (error) {
    throw connectFailure(error, {
      phase,
      host: resolved.host,
      port: settings.port,
      user: settings.user,
      database: settings.database,
      sslMode: settings.sslMode,
      timedOut,
      timeoutMs: options.connectTimeoutMs,
    });
  } finally {
    clearTimeout(timer);
  }
  options.onProgress?.({ step: 'open_database' });
  return client;
}

/**
 * Opens a connection to a PostgreSQL database a user configured: resolves the
 * host once, checks every address against the policy (refused before any
 * packet is sent), connects to the checked address (the host name is kept for
 * TLS), and maps sslMode as libpq does — disable: plain; allow: plain, TLS if
 * the server insists; prefer: TLS, plain if the server has none; require: TLS
 * without certificate checks; verify-ca: TLS with a trusted chain;
 * verify-full: also the host name. Certificates are checked against the
 * system's trusted authorities.
 *
 * Throws SourceConnectionError naming the failing step (resolve_host,
 * address_policy, tcp_connect, tls, authenticate, open_database) and a message
 * a user can act on; it never contains the password. The caller owns the
 * returned client and must `end()` it.
 */
export async function connectPostgres(settings: PostgresSettings, options: ConnectOptions): Promise<pg.Client> {
  const resolved = await resolveAllowedAddress(settings.host, options.policy, options.connectTimeoutMs);
  options.onProgress?.({ step: 'resolve_host', address: resolved });
  switch (settings.sslMode) {
    case 'disable':
      return attempt(resolved, settings, false, options);
    case 'allow':
      try {
        return await attempt(resolved, settings, false, options);
      } catch (error) {
        // The server refused a plain connection (pg_hba hostssl): libpq retries with TLS.
        if (error instanceof SourceConnectionError && error.reason === '28000') {
          return attempt(resolved, settings, tlsFor('unverified', resolved.host), options);
        }
        throw error;
      }
    case 'prefer':
      try {
        return await attempt(resolved, settings, tlsFor('unverified', resolved.host), options);
      } catch (error) {
        if (error instanceof SourceConnectionError && error.step === 'tls' && error.reason === null && /does not offer TLS/.test(error.message)) {
          return attempt(resolved, settings, false, options);
        }
        throw error;
      }
    case 'require':
      return attempt(resolved, settings, tlsFor('unverified', resolved.host), options);
    case 'verify-ca':
    case 'verify-full':
      return attempt(resolved, settings, tlsFor(settings.sslMode, resolved.host), options);
  }
}

/** Ends a client without letting a failure to say goodbye hide the caller's own result. */
export async function closeQuietly(client: pg.Client | null | undefined): Promise<void> {
  if (!client) return;
  try {
    await client.end();
  } catch {
    // the connection is gone either way
  }
}
