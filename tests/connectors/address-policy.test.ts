import { addressPolicy, AttemptLimiter, checkAddress, resolveAllowedAddress } from '../../src/connectors/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * The address policy on its own: classification of addresses (no traffic is
 * sent to any of them), resolution checks, the config knobs and the limiter.
 */

const strict = addressPolicy('strict');

describe('checkAddress', () => {
  it.each([
    ['169.254.169.254', 'linkLocal', 'a link-local address (this includes cloud metadata services)'],
    ['10.1.2.3', 'private', 'a private network address'],
    ['172.16.0.9', 'private', 'a private network address'],
    ['192.168.1.1', 'private', 'a private network address'],
    ['127.0.0.1', 'loopback', 'a loopback address'],
    ['0.0.0.0', 'unspecified', 'an unspecified address'],
    ['100.64.0.1', 'carrierGradeNat', 'a carrier-grade NAT address'],
    ['224.0.0.1', 'multicast', 'a multicast address'],
    ['::1', 'loopback', 'a loopback address'],
    ['fe80::1', 'linkLocal', 'a link-local address (this includes cloud metadata services)'],
    ['fd00:ec2::254', 'uniqueLocal', 'a private network address (IPv6 unique local)'],
    ['::ffff:169.254.169.254', 'linkLocal', 'a link-local address (this includes cloud metadata services)'],
    ['::ffff:10.0.0.1', 'private', 'a private network address'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052', 'a special-purpose address (rfc6052)'],
  ])('production (strict) refuses %s (%s)', (address, range, reason) => {
    expect(checkAddress(address, strict)).toEqual({ allowed: false, range, reason });
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(checkAddress(address, strict)).toEqual({ allowed: true, range: 'unicast', reason: null });
  });

  it('allow-loopback allows loopback, and nothing else that strict refuses', () => {
    const dev = addressPolicy('allow-loopback');
    expect(checkAddress('127.0.0.1', dev).allowed).toBe(true);
    expect(checkAddress('::1', dev).allowed).toBe(true);
    expect(checkAddress('169.254.169.254', dev).allowed).toBe(false);
    expect(checkAddress('10.1.2.3', dev).allowed).toBe(false);
  });

  it('allowed CIDRs let exactly their ranges through, whatever their kind', () => {
    const policy = addressPolicy('strict', ['10.20.0.0/16', '169.254.169.254/32', 'fd00::/8']);
    expect(checkAddress('10.20.5.6', policy).allowed).toBe(true);
    expect(checkAddress('10.21.0.1', policy).allowed).toBe(false);
    expect(checkAddress('169.254.169.254', policy).allowed).toBe(true);
    expect(checkAddress('169.254.169.253', policy).allowed).toBe(false);
    expect(checkAddress('fd00:ec2::254', policy).allowed).toBe(true);
    expect(checkAddress('127.0.0.1', policy).allowed).toBe(false);
  });
});

describe('resolveAllowedAddress', () => {
  const lookupTo = (...addresses: string[]) => {
    const calls: string[] = [];
    return { calls, lookup: async (host: string) => (calls.push(host), addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))) };
  };

  it('refuses the metadata address by IP literal, without a lookup', async () => {
    const { calls, lookup } = lookupTo();
    await expect(resolveAllowedAddress('169.254.169.254', { ...strict, lookup }, 1000)).rejects.toMatchObject({
      step: 'address_policy',
      message: '169.254.169.254 is a link-local address (this includes cloud metadata services), which this server does not connect to; ask an operator to allow it (SOURCE_ALLOWED_CIDRS)',
    });
    expect(calls).toEqual([]);
  });

  it('refuses a name that resolves to a private address, and one that mixes public and private', async () => {
    await expect(resolveAllowedAddress('db.internal', { ...strict, ...lookupTo('10.0.0.5') }, 1000)).rejects.toMatchObject({
      step: 'address_policy',
      message: expect.stringMatching(/^db\.internal resolves to 10\.0\.0\.5, a private network address/),
    });
    await expect(resolveAllowedAddress('mixed.example.com', { ...strict, ...lookupTo('93.184.216.34', '10.0.0.5') }, 1000)).rejects.toMatchObject({ step: 'address_policy' });
  });

  it('allows a private address where configured, and returns the checked address with the host kept', async () => {
    const policy = { ...addressPolicy('strict', ['10.0.0.0/8']), ...lookupTo('10.0.0.5') };
    expect(await resolveAllowedAddress('db.internal', policy, 1000)).toEqual({ host: 'db.internal', address: '10.0.0.5', family: 4, all: ['10.0.0.5'] });
  });

  it('a bracketed IPv6 literal is an address', async () => {
    await expect(resolveAllowedAddress('[::1]', strict, 1000)).rejects.toMatchObject({ step: 'address_policy', message: expect.stringMatching(/^::1 is a loopback address/) });
  });

  it('a lookup slower than the timeout fails resolve_host', async () => {
    const lookup = () => new Promise<{ address: string; family: number }[]>(() => undefined);
    await expect(resolveAllowedAddress('slow.example.com', { ...strict, lookup }, 50)).rejects.toMatchObject({ step: 'resolve_host', message: 'timed out after 0.1 s resolving host slow.example.com' });
  });
});

describe('configuration', () => {
  const base = { JWT_SECRET: 'x'.repeat(32) };

  it('production is strict unless told otherwise; development and test allow loopback', () => {
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).sources.addressPolicy).toBe('strict');
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).sources.addressPolicy).toBe('allow-loopback');
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).sources.addressPolicy).toBe('allow-loopback');
    expect(loadConfig({ ...base, NODE_ENV: 'production', SOURCE_ADDRESS_POLICY: 'allow-loopback' }).sources.addressPolicy).toBe('allow-loopback');
  });

  it('reads the knobs, with their defaults', () => {
    expect(loadConfig({ ...base }).sources).toEqual({
      addressPolicy: 'allow-loopback',
      allowedCidrs: [],
      connectTimeoutMs: 5000,
      testTimeoutMs: 15000,
      statementTimeoutMs: 10000,
      previewTimeoutMs: 5000,
      attemptsPerMinute: 30,
    });
    expect(() => loadConfig({ ...base, SOURCE_PREVIEW_TIMEOUT_MS: '50' })).toThrow(/SOURCE_PREVIEW_TIMEOUT_MS/);
    expect(loadConfig({ ...base, SOURCE_PREVIEW_TIMEOUT_MS: '750' }).sources.previewTimeoutMs).toBe(750);
    expect(loadConfig({ ...base, SOURCE_ALLOWED_CIDRS: '10.20.0.0/16, fd00::/8' }).sources.allowedCidrs).toEqual(['10.20.0.0/16', 'fd00::/8']);
  });

  it('refuses a CIDR list that does not parse', () => {
    expect(() => loadConfig({ ...base, SOURCE_ALLOWED_CIDRS: '10.0.0.0/8,not-a-range' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, SOURCE_ALLOWED_CIDRS: '10.0.0.0/8,not-a-range' })).toThrow(/SOURCE_ALLOWED_CIDRS: must be a comma-separated list of CIDR ranges/);
  });
});

describe('AttemptLimiter', () => {
  it('allows `limit` attempts per key in a sliding window, then says how long to wait', () => {
    let now = 1_000_000;
    const limiter = new AttemptLimiter(2, 60_000, () => now);
    expect(limiter.take('a')).toBeNull();
    now += 10_000;
    expect(limiter.take('a')).toBeNull();
    expect(limiter.take('a')).toBe(50_000);
    expect(limiter.take('b')).toBeNull();
    now += 50_000;
    expect(limiter.take('a')).toBeNull();
    expect(limiter.take('a')).toBe(10_000);
  });

  it('a limit of 0 means no limit', () => {
    const limiter = new AttemptLimiter(0, 60_000);
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBeNull();
  });
});
