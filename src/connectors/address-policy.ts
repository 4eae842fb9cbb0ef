import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { SourceConnectionError } from '../errors.js';
import { describeSeconds } from './durations.js';

/**
 * Where this server may open connections to on a user's behalf (server-side
 * request forgery). Only public unicast addresses are allowed, plus loopback
 * when `allowLoopback` is set (development and tests), plus any address inside
 * `allowedCidrs` (an operator's private network, a VPC peering range).
 */
export interface AddressPolicy {
  allowLoopback: boolean;
  /** Parsed CIDR ranges that are always allowed, whatever their kind. */
  allowedCidrs: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Resolves a host name to every address it has; `dns.lookup` (getaddrinfo, /etc/hosts) unless replaced. */
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
}

export type AddressPolicyMode = 'strict' | 'allow-loopback';

/** Builds a policy from its knobs; throws on a CIDR that does not parse (config is validated before). */
export function addressPolicy(mode: AddressPolicyMode, allowedCidrs: readonly string[] = []): AddressPolicy {
  return { allowLoopback: mode === 'allow-loopback', allowedCidrs: allowedCidrs.map((c) => ipaddr.parseCIDR(c.trim())) };
}

/** Words for the ranges ipaddr.js names, as a user reads them. */
const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  linkLocal: 'a link-local address (this includes cloud metadata services)',
  private: 'a private network address',
  uniqueLocal: 'a private network address (IPv6 unique local)',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

export interface AddressVerdict {
  allowed: boolean;
  /** ipaddr.js' name of the range: unicast, loopback, linkLocal, private, … */
  range: string;
  /** Why it is refused, for a user; null when allowed. */
  reason: string | null;
}

/** Classifies one IP address (IPv4-mapped IPv6 is judged as its IPv4 address). */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const ip = ipaddr.process(address);
  const range = ip.range();
  const inAllowed = policy.allowedCidrs.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  if (inAllowed || range === 'unicast' || (range === 'loopback' && policy.allowLoopback)) return { allowed: true, range, reason: null };
  return { allowed: false, range, reason: RANGE_WORDS[range] ?? `a special-purpose address (${range})` };
}

export interface ResolvedAddress {
  /** What the user typed; kept for TLS server name checks and messages. */
  host: string;
  /** The checked address to connect to — never look the host up again. */
  address: string;
  family: 4 | 6;
  /** Every address the host resolved to (all were checked). */
  all: string[];
}

const withTimeout = <T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e as Error)),
    );
  });

const defaultLookup = (host: string) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves `host` once and checks every address it resolves to against the
 * policy; one refused address refuses the host (an attacker's DNS could mix a
 * public and an internal address). Returns the address to connect to.
 * Throws SourceConnectionError with step `resolve_host` (no such host, DNS
 * timeout) or `address_policy` (refused), before any connection is attempted.
 */
export async function resolveAllowedAddress(host: string, policy: AddressPolicy, timeoutMs: number): Promise<ResolvedAddress> {
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: { address: string; family: number }[];
  if (isIP(literal)) {
    addresses = [{ address: literal, family: isIP(literal) }];
  } else {
    try {
      addresses = await withTimeout(
        (policy.lookup ?? defaultLookup)(literal),
        timeoutMs,
        () => new SourceConnectionError('resolve_host', `timed out after ${describeSeconds(timeoutMs)} resolving host ${host}`, 'ETIMEDOUT'),
      );
    } catch (error) {
      if (error instanceof SourceConnectionError) throw error;
      const code = (error as { code?: string }).code ?? null;
      const message =
        code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME'
          ? `host ${host} could not be resolved: no such host name`
          : `host ${host} could not be resolved (DNS error ${code ?? 'unknown'}); try again or check the name`;
      throw new SourceConnectionError('resolve_host', message, code);
    }
  }
  if (addresses.length === 0) throw new SourceConnectionError('resolve_host', `host ${host} could not be resolved: it has no addresses`, 'ENODATA');
  for (const { address } of addresses) {
    const verdict = checkAddress(address, policy);
    if (!verdict.allowed) {
      const what = address === literal ? `${address} is` : `${host} resolves to ${address},`;
      throw new SourceConnectionError(
        'address_policy',
        `${what} ${verdict.reason}, which this server does not connect to; ask an operator to allow it (SOURCE_ALLOWED_CIDRS)`,
        'ADDRESS_REFUSED',
      );
    }
  }
  const first = addresses[0]!;
  return { host: literal, address: first.address, family: first.family === 6 ? 6 : 4, all: addresses.map((a) => a.address) };
}
