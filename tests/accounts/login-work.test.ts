import { jest } from '@jest/globals';
import type * as Argon2 from '@node-rs/argon2';

/**
 * "Unknown email and wrong password get the same answer after the same work":
 * the work is proved without a clock, by watching the password hash library.
 * Every argon2 verification the server runs is recorded (and still really
 * run), so a login for an unknown email must show one verification at the
 * same cost as for a real account.
 */

const real = await import('@node-rs/argon2');
/** The stored hashes verified against, in order. */
const verified: string[] = [];
jest.unstable_mockModule('@node-rs/argon2', () => ({
  ...real,
  verify: (hashed: string | Uint8Array, password: string | Uint8Array, options?: Argon2.Options, signal?: AbortSignal) => {
    verified.push(String(hashed));
    return real.verify(hashed, password, options, signal);
  },
}));
const { ERROR_FIELDS, newUser, PASSWORD, useTestApi } = await import('../support/index.js');

const { server, org } = useTestApi();

/** The argon2 variant and cost parameters of a PHC hash string, e.g. `argon2id v=19 m=19456,t=2,p=1`. */
const costOf = (phc: string) => phc.split('$').slice(1, 4).join(' ');

/** The verifications one login request runs, and its answer. */
async function loginWork(email: string, password: string) {
  verified.length = 0;
  const res = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename ${ERROR_FIELDS} } }`, { e: email, p: password });
  return { body: res.body, costs: verified.map(costOf) };
}

describe('login does the same work for an unknown email as for a wrong password', () => {
  it('runs one argon2id verification at the real cost in both cases', async () => {
    const { email } = await newUser(server, org, 'viewer', PASSWORD);

    const wrong = await loginWork(email, 'not the password at all');
    const unknown = await loginWork('nobody-here@nowhere.test', 'not the password at all');

    expect(wrong.costs).toEqual(['argon2id v=19 m=19456,t=2,p=1']);
    expect(unknown).toEqual(wrong);
  });

  it('does the same for an account without a password yet (invited, not accepted)', async () => {
    const { email } = await newUser(server, org, 'viewer');

    expect((await loginWork(email, 'any password at all')).costs).toEqual(['argon2id v=19 m=19456,t=2,p=1']);
  });
});
