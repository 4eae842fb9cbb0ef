import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig } from '../src/config.js';

const configSource = () => readFile('src/config.ts', 'utf8');
const variablesOf = (text: string) => [...text.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);

describe('configuration', () => {
  it('documents every environment variable in .env.example and the README', async () => {
    const variables = variablesOf(await configSource());
    expect(variables.length).toBeGreaterThan(20);
    const example = await readFile('.env.example', 'utf8');
    const readme = await readFile('README.md', 'utf8');
    expect(variables.filter((v) => !new RegExp(`^${v}=`, 'm').test(example))).toEqual([]);
    expect(variables.filter((v) => !readme.includes(`\`${v}\``))).toEqual([]);
  });

  it('starts from defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.database.pool).toEqual({
      min: 5,
      max: 20,
      maxUses: 2_000,
      maxLifetimeSeconds: 3_600,
      idleTimeoutMillis: 300_000,
      connectionTimeoutMillis: 10_000,
      statementTimeoutMillis: 30_000,
    });
    expect(config.database.url).toBeUndefined();
    expect(config.http.bodyLimitBytes).toBe(102_400);
    expect(config.allowSignup).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ DB_POOL_MIN: '30', DB_POOL_MAX: '10' }, 'DB_POOL_MIN'],
    [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
  ])('stops with a message naming the bad variable (%o)', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });

  it('turns sign-up, GraphiQL and introspection off in production unless enabled', () => {
    const prod = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://u:p@db:5432/x' });
    expect({ signup: prod.allowSignup, graphiql: prod.graphql.graphiql, introspection: prod.graphql.introspection }).toEqual({
      signup: false,
      graphiql: false,
      introspection: false,
    });
    const enabled = loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'true', GRAPHQL_INTROSPECTION: 'true', ALLOW_SIGNUP: 'true' });
    expect([enabled.allowSignup, enabled.graphql.graphiql, enabled.graphql.introspection]).toEqual([true, true, true]);
  });
});
