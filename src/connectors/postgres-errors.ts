import { SourceConnectionError } from '../errors.js';
import { describeSeconds } from './durations.js';

/** The steps of opening a connection, in order. */
export type ConnectStep = 'resolve_host' | 'address_policy' | 'tcp_connect' | 'tls' | 'authenticate' | 'open_database';

export interface FailureContext {
  /** The step in progress when the error came. */
  phase: ConnectStep;
  host: string;
  port: number;
  user: string;
  database: string;
  sslMode: string;
  timedOut: boolean;
  timeoutMs: number;
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET|ERR_TLS|ERR_SSL|EPROTO/;

/**
 * Turns what `pg` or the socket threw while connecting into a
 * SourceConnectionError naming the step and the reason in words a user can act
 * on. Driver and server texts are not passed through: only codes are read.
 */
export function connectFailure(error: unknown, ctx: FailureContext): SourceConnectionError {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : null;
  const text = typeof e.message === 'string' ? e.message : '';
  const at = `${ctx.host}:${ctx.port}`;
  const fail = (step: ConnectStep, message: string) => new SourceConnectionError(step, message, code);

  if (ctx.timedOut || code === 'ETIMEDOUT') {
    const after = `timed out after ${describeSeconds(ctx.timeoutMs)}`;
    switch (ctx.phase) {
      case 'tcp_connect':
        return fail('tcp_connect', `${after} connecting to ${at}`);
      case 'tls':
        return fail('tls', `${after} connecting to ${at}: the server accepted the connection but did not answer the TLS request (is it a PostgreSQL server?)`);
      case 'authenticate':
        return fail('authenticate', `${after} connecting to ${at}: the server accepted the connection but did not answer (is it a PostgreSQL server?)`);
      default:
        return fail(ctx.phase, `${after} opening database ${ctx.database} on ${at}`);
    }
  }
  switch (code) {
    case '28P01':
      return fail('authenticate', `password authentication failed for user ${ctx.user}`);
    case '28000':
      return fail('authenticate', `the server refused user ${ctx.user}: no host-based authentication rule of the server allows this connection (check the user, database and sslMode)`);
    case '3D000':
      return fail('open_database', `database ${ctx.database} does not exist`);
    case '42501':
      return fail('open_database', `user ${ctx.user} may not connect to database ${ctx.database} (missing CONNECT privilege)`);
    case '53300':
      return fail('open_database', `the server at ${at} has too many connections; try again later`);
    case '57P03':
      return fail('open_database', `the server at ${at} is starting up or shutting down; try again shortly`);
    case '08P01':
      return fail(ctx.phase, `the server at ${at} does not speak the PostgreSQL protocol as expected`);
    case 'ECONNREFUSED':
      return fail('tcp_connect', `connection refused by ${at}: nothing listens on that port, or a firewall refuses it`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail('tcp_connect', `${at} is unreachable from this server (no route to the host)`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail('tls', `the server's certificate is not valid for host ${ctx.host} (sslMode ${ctx.sslMode} checks the host name)`);
    case 'ECONNRESET':
    case 'EPIPE':
      return fail(ctx.phase, closedDuring(ctx, at));
  }
  if (code && TLS_CODE.test(code)) {
    return fail('tls', `the server's TLS certificate could not be verified (${code}); sslMode ${ctx.sslMode} requires a certificate signed by a trusted authority`);
  }
  if (text === 'The server does not support SSL connections') {
    return fail('tls', `the server at ${at} does not offer TLS, and sslMode ${ctx.sslMode} requires it (use prefer or disable to allow an unencrypted connection)`);
  }
  if (text === 'There was an error establishing an SSL connection') {
    return fail('tls', `the server at ${at} refused the TLS request`);
  }
  if (text.startsWith('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')) {
    return fail('authenticate', `the server asks for a password for user ${ctx.user}, but none is set`);
  }
  if (text.startsWith('Connection terminated')) return fail(ctx.phase, closedDuring(ctx, at));
  return fail(ctx.phase, `could not connect to ${at}${code ? ` (${code})` : ''}`);
}

const PHASE_WORDS: Record<ConnectStep, string> = {
  resolve_host: 'resolving the host',
  address_policy: 'checking the address',
  tcp_connect: 'connecting',
  tls: 'the TLS handshake',
  authenticate: 'authentication',
  open_database: 'opening the database',
};

const closedDuring = (ctx: FailureContext, at: string) =>
  `the server at ${at} closed the connection during ${PHASE_WORDS[ctx.phase]} (is it a PostgreSQL server, and does it accept sslMode ${ctx.sslMode}?)`;
