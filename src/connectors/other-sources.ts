import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { SourceConnectionError } from '../errors.js';
import { resolveAllowedAddress, type AddressPolicy, type ResolvedAddress } from './address-policy.js';
import { CheckList, withinDeadline, type ConnectionTestReport } from './connection-test.js';
import { describeSeconds } from './durations.js';

/*
 * Source types without a driver yet: the test runs what can run (settings
 * complete, host resolves and is allowed, HTTP answers for api sources) and
 * reports the connector step as skipped. Nothing pretends to succeed.
 */

export interface ReachabilityOptions {
  policy: AddressPolicy;
  connectTimeoutMs: number;
  testTimeoutMs: number;
}

const NOT_SUPPORTED = (type: string) => `not supported yet: this server cannot read ${type} sources`;

async function resolveInto(list: CheckList, host: string, options: ReachabilityOptions): Promise<ResolvedAddress | null> {
  try {
    const resolved = await resolveAllowedAddress(host, options.policy, options.connectTimeoutMs);
    list.set('resolve_host', 'passed', resolved.address === resolved.host ? `${host} is an IP address` : `${host} resolves to ${resolved.all.join(', ')}`);
    list.set('address_policy', 'passed', `${resolved.address} is allowed`);
    return resolved;
  } catch (error) {
    if (!(error instanceof SourceConnectionError)) throw error;
    list.failWith(error, host);
    return null;
  }
}

/** Snowflake: the account's host (<account>.snowflakecomputing.com) resolves and is allowed. */
export async function testSnowflakeReachability(settings: { account: string }, options: ReachabilityOptions): Promise<ConnectionTestReport> {
  const list = new CheckList(['configuration', 'resolve_host', 'address_policy', 'connector']);
  list.set('configuration', 'passed', 'the settings are complete');
  const host = `${settings.account}.snowflakecomputing.com`;
  if (await resolveInto(list, host, options)) list.set('connector', 'skipped', NOT_SUPPORTED('snowflake'));
  return list.report('');
}

/** File sources: only the settings are checked. */
export function testFileSource(): ConnectionTestReport {
  const list = new CheckList(['configuration', 'connector']);
  list.set('configuration', 'passed', 'the settings are complete');
  list.set('connector', 'skipped', NOT_SUPPORTED('file'));
  return list.report('');
}

/** One request to the checked address (no second DNS lookup, no redirects followed, no credentials sent). */
function probe(url: URL, resolved: ResolvedAddress, timeoutMs: number): Promise<number> {
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: resolved.address, family: resolved.family }]);
    else cb(null, resolved.address, resolved.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: 'HEAD', lookup, timeout: timeoutMs, headers: { 'user-agent': 'datalinx-connection-test' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** API sources: the base URL's host resolves, is allowed, and answers HTTP. */
export async function testApiReachability(settings: { baseUrl: string }, options: ReachabilityOptions): Promise<ConnectionTestReport> {
  const list = new CheckList(['configuration', 'resolve_host', 'address_policy', 'http_reachable', 'connector']);
  list.set('configuration', 'passed', 'the settings are complete');
  const url = new URL(settings.baseUrl);
  // Credentials in the URL would be sent as Basic authentication: the probe goes without them.
  url.username = '';
  url.password = '';
  const resolved = await resolveInto(list, url.hostname, options);
  if (!resolved) return list.report('');
  try {
    const done = await withinDeadline(probe(url, resolved, options.connectTimeoutMs), options.testTimeoutMs);
    if (!done) list.fail('http_reachable', `timed out after ${describeSeconds(options.testTimeoutMs)}`);
    else list.set('http_reachable', 'passed', `${url.host} answered with HTTP ${done.value}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message =
      code === 'ETIMEDOUT'
        ? `timed out after ${describeSeconds(options.connectTimeoutMs)} connecting to ${url.host}`
        : code === 'ECONNREFUSED'
          ? `connection refused by ${url.host}`
          : `${url.host} did not answer HTTP${code ? ` (${code})` : ''}`;
    list.fail('http_reachable', message);
    return list.report('');
  }
  list.set('connector', 'skipped', NOT_SUPPORTED('api'));
  return list.report('');
}
