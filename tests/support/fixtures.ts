import { seedOrganization, type SeededOrg } from './seed.js';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * A value a `beforeAll` hook fills in, usable as if it were already there:
 * every property read is passed to the value once it is set. Lets a test file
 * write `const { server, org } = useTestApi()` at the top instead of `let`
 * variables and hooks of its own.
 */
export function lateBound<T extends object>(what: string): { value: T; set(value: T): void } {
  let current: T | undefined;
  const target = (): T => {
    if (!current) throw new Error(`${what} is not ready: use it inside a test or in a beforeAll registered after the fixture`);
    return current;
  };
  const value = new Proxy({} as T, {
    get: (_t, key) => Reflect.get(target(), key, target()),
    has: (_t, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(target(), key),
    set: (_t, key, v) => Reflect.set(target(), key, v),
  });
  return { value, set: (v) => void (current = v) };
}

export interface TestApiOptions {
  /** Environment the server's config is loaded from (on top of the test defaults). */
  env?: Record<string, string>;
  /** Receives every log line the server writes. */
  logLines?: string[];
  /** Whether to seed an organization with a user of every role (`org`); true by default. */
  organization?: boolean;
}

/**
 * For a whole test file: starts a test server over a database of the file's
 * own before its tests, seeds an organization with a user of every role, and
 * closes both after the tests. Hooks the file registers later run after these.
 */
export function useTestApi(options: TestApiOptions = {}): { server: TestServer; org: SeededOrg } {
  const server = lateBound<TestServer>('the test server');
  const org = lateBound<SeededOrg>('the seeded organization');
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(options.env, { logLines: options.logLines });
    server.set(started);
    if (options.organization ?? true) org.set(await seedOrganization(started));
  });
  afterAll(() => started?.close());
  return { server: server.value, org: org.value };
}
