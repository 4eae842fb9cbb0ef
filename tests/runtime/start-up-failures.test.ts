import { jest } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { runToEnd, SOURCE_ENTRY, startApiProcess } from '../support/api-process.js';
import { freePort } from '../support/pg-cluster.js';

/** Every reason the server cannot start is one line on stderr and exit code 1 — never a stack. */
jest.setTimeout(180_000);

/** Folders this file made, removed at its end. */
const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));
const scratch = () => mkdtemp(path.join(os.tmpdir(), 'datalinx-start-')).then(async (d) => (made.push(d), await chmod(d, 0o755), d));

async function start(env: Record<string, string>) {
  const result = await runToEnd(SOURCE_ENTRY, { LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(32), ...env });
  return { code: result.code, lines: result.stderr.trim().split('\n') };
}

it('production without DATABASE_URL', async () => {
  const { code, lines } = await start({ NODE_ENV: 'production', DATA_DIR: await scratch() });
  expect({ code, lines }).toEqual({ code: 1, lines: [expect.stringMatching(/^datalinx: DATABASE_URL is required with NODE_ENV=production/)] });
});

it('an unreachable external database', async () => {
  const { code, lines } = await start({ DATABASE_URL: `postgresql://u:secret@127.0.0.1:${freePort()}/db`, DB_CONNECT_TIMEOUT_MS: '1000' });
  expect(code).toBe(1);
  expect(lines).toEqual([expect.stringMatching(/^datalinx: cannot reach the database \(ECONNREFUSED\): .* \(database 127\.0\.0\.1:\d+\/db\)$/)]);
  expect(lines[0]).not.toContain('secret');
});

describe('the embedded PostgreSQL', () => {
  it('a port already in use', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const { code, lines } = await start({ DATA_DIR: await scratch(), EMBEDDED_PG_PORT: String(port) });
      expect({ code, lines }).toEqual({ code: 1, lines: [`datalinx: Port ${port} on 127.0.0.1 is already in use (another PostgreSQL, or a second server on this DATA_DIR?): set EMBEDDED_PG_PORT to a free port, or stop the other process`] });
    } finally {
      blocker.close();
    }
  });

  it('a data folder from another PostgreSQL major version', async () => {
    const dataDir = await scratch();
    await mkdir(path.join(dataDir, 'postgres'));
    await writeFile(path.join(dataDir, 'postgres', 'PG_VERSION'), '16\n');
    const { code, lines } = await start({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(freePort()) });
    expect(code).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/^datalinx: The data folder .*\/postgres was made by PostgreSQL 16, but the embedded server is PostgreSQL \d+: move it aside/)]);
  });

  (process.getuid?.() === 0 ? it : it.skip)('a data folder the postgres user cannot reach (a clone in a 0700 home, as root)', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'datalinx-home-')); // mkdtemp makes it 0700
    made.push(home);
    const { code, lines } = await start({ DATA_DIR: path.join(home, 'dlx', '.data'), EMBEDDED_PG_PORT: String(freePort()) });
    expect(code).toBe(1);
    expect(lines).toEqual([expect.stringContaining(`cannot reach the data folder ${home}/dlx/.data/postgres: ${home} (mode 0700) is closed to it. Set DATA_DIR`)]);
  });

  it('recovers from a stale postmaster.pid whose process id now belongs to another program', async () => {
    const dataDir = await scratch();
    const port = freePort();
    const first = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port });
    await first.stop();
    // A crash leaves the file behind; after a reboot or in a container its pid is some other live process.
    await writeFile(path.join(dataDir, 'postgres', 'postmaster.pid'), `${process.pid}\n${path.join(dataDir, 'postgres')}\n`);
    const api = await startApiProcess({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port), DATABASE_URL: '' });
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
