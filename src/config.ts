import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** Every environment variable the service reads; `.env.example` documents each one. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_DIRECT_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  DB_POOL_MIN: int(0, 1000).default(5),
  DB_POOL_MAX: int(1, 1000).default(20),
  // Each tenant schema a connection touches stays in its backend's catalog caches (README: Operators).
  DB_MAX_USES: int(0).default(2_000),
  DB_MAX_LIFETIME_SECONDS: int(0).default(3_600),
  DB_IDLE_TIMEOUT_MS: int(0).default(300_000),
  DB_CONNECT_TIMEOUT_MS: int(100).default(5_000),
  DB_STATEMENT_TIMEOUT_MS: int(0).default(30_000),
  DB_RETRY_AFTER_SECONDS: int(1, 3600).default(2),

  MIGRATE_ON_START: bool.default(true),
  MIGRATIONS_DIR: z.string().min(1).default('migrations'),
  MIGRATION_TENANT_CONCURRENCY: int(1, 64).default(4),

  JWT_SECRET: z.string().optional(),
  JWT_ALGORITHM: z.enum(['HS256', 'ES256', 'RS256']).default('HS256'),
  JWT_KEYS_FILE: z.string().optional(),
  REFRESH_TOKEN_TTL_DAYS: int(1, 365).default(30),
  ALLOW_SIGNUP: bool.optional(),
  JWT_ISSUER: z.string().min(1).default('datalinx'),
  JWT_AUDIENCE: z.string().min(1).default('datalinx-api'),
  JWT_ACCESS_TTL_SECONDS: int(30, 86_400).default(900),
  // How long an open session is remembered between requests (0: checked on every request).
  SESSION_CACHE_TTL_MS: int(0, 600_000).default(10_000),
  SESSION_CACHE_MAX: int(1, 10_000_000).default(10_000),

  KEYRING: z.string().optional(),
  KEYRING_FILE: z.string().optional(),

  BODY_LIMIT_BYTES: int(1024).default(100 * 1024),
  TRUST_PROXY: bool.default(false),
  GRAPHQL_INTROSPECTION: bool.optional(),
  GRAPHIQL: bool.optional(),
  GRAPHQL_MAX_DEPTH: int(1, 100).default(10),
  GRAPHQL_MAX_ALIASES: int(0, 1000).default(15),
  GRAPHQL_MAX_COMPLEXITY: int(1).default(50_000),
  GRAPHQL_MAX_TOKENS: int(100).default(5000),
  GRAPHQL_MAX_SELECTIONS: int(10).default(500),
  GRAPHQL_TIMEOUT_MS: int(100).default(15_000),
  // GraphQL requests executing at once in one process; more wait their turn (src/execution-gate.ts).
  GRAPHQL_MAX_CONCURRENT: int(1, 10_000).default(16),
  // …and while the query costs of those executing fit in this budget (src/graphql/cost-gate.plugin.ts).
  GRAPHQL_MAX_CONCURRENT_COST: int(1).default(12_000),
  // Requests without credentials (sign-in, sign-up, introspection) get a far smaller budget.
  GRAPHQL_ANON_MAX_TOKENS: int(100).default(1000),
  GRAPHQL_ANON_MAX_FIELDS: int(1).default(100),
  GRAPHQL_ANON_MAX_DEPTH: int(1, 100).default(8),
  GRAPHQL_ANON_MAX_COMPLEXITY: int(1).default(200),
  GRAPHQL_JIT: bool.default(true),

  // How far V8 lets the old generation grow past what the last full collection kept, in per cent (0: V8's own, up to 300).
  HEAP_GROWING_PERCENT: int(0, 1000).default(100),

  SHUTDOWN_DELAY_MS: int(0, 600_000).default(2_000),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(25_000),

  // Live updates: GraphQL subscriptions over WebSocket (graphql-ws) on the GraphQL path
  SUBSCRIPTIONS: bool.default(true),
  SUBSCRIPTIONS_KEEPALIVE_MS: int(0, 600_000).default(12_000),
  SUBSCRIPTIONS_INIT_TIMEOUT_MS: int(100, 600_000).default(3_000),
  SUBSCRIPTIONS_MAX_PER_SOCKET: int(1, 10_000).default(50),
  SUBSCRIPTIONS_RECONNECT_MIN_MS: int(1, 600_000).default(100),
  SUBSCRIPTIONS_RECONNECT_MAX_MS: int(1, 600_000).default(10_000),

  METRICS: bool.default(true),
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(16).optional(),

  // Outbound connections to data sources and warehouses (README: Data sources: connection tests and schema discovery).
  SOURCE_ADDRESS_POLICY: z.enum(['strict', 'allow-loopback']).optional(),
  SOURCE_ALLOWED_CIDRS: z
    .string()
    .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean))
    .refine((list) => list.every((c) => ipaddr.isValidCIDR(c)), 'must be a comma-separated list of CIDR ranges, e.g. 10.20.0.0/16,fd00::/8')
    .optional(),
  SOURCE_CONNECT_TIMEOUT_MS: int(100, 600_000).default(5_000),
  SOURCE_TEST_TIMEOUT_MS: int(100, 600_000).default(15_000),
  SOURCE_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  SOURCE_PREVIEW_TIMEOUT_MS: int(100, 600_000).default(5_000),
  SOURCE_CONNECT_RATE_LIMIT: int(0, 100_000).default(30),

  // Pipeline job workers and their queue (README: Pipeline jobs and workers).
  WORKER_IN_PROCESS: bool.default(true),
  WORKER_CONCURRENCY: int(1, 100).default(2),
  WORKER_BATCH_SIZE: int(1, 100).default(1),
  WORKER_ORG_CONCURRENCY: int(1, 100).default(1),
  WORKER_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  WORKER_SHUTDOWN_GRACE_MS: int(0, 3_600_000).default(20_000),
  JOB_HEARTBEAT_SECONDS: int(10, 3_600).default(30),
  JOB_SUPERVISE_SECONDS: int(1, 3_600).default(15),
  JOB_TIMEOUT_SECONDS: int(10, 86_400).default(3_600),
  JOB_RETRY_LIMIT: int(0, 20).default(3),
  JOB_RETRY_DELAY_SECONDS: int(0, 3_600).default(10),
  JOB_CANCEL_CHECK_MS: int(50, 60_000).default(1_000),
  JOB_TEST_ROW_LIMIT: int(1, 10_000).default(100),
  JOB_LOAD_BATCH_ROWS: int(1, 100_000).default(5_000),
  SCHEDULE_CHECK_SECONDS: int(1, 45).default(30),
  QUEUE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('datalinx_queue'),
});

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof EnvSchema>) {
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    http: { host: env.HOST, port: env.PORT, bodyLimitBytes: env.BODY_LIMIT_BYTES, trustProxy: env.TRUST_PROXY },
    shutdown: { delayMs: env.SHUTDOWN_DELAY_MS, graceMs: env.SHUTDOWN_GRACE_MS },
    heapGrowingPercent: env.HEAP_GROWING_PERCENT,
    // On its own port when METRICS_PORT is set; otherwise at /metrics on the API port, where
    // production requires METRICS_TOKEN (without one, production serves no metrics there).
    metrics: { enabled: env.METRICS, port: env.METRICS_PORT, host: env.METRICS_HOST, token: env.METRICS_TOKEN },
    graphql: {
      // Off in production unless enabled; on elsewhere unless disabled.
      introspection: env.GRAPHQL_INTROSPECTION ?? env.NODE_ENV !== 'production',
      graphiql: env.GRAPHIQL ?? env.NODE_ENV !== 'production',
      jit: env.GRAPHQL_JIT,
      limits: {
        depth: env.GRAPHQL_MAX_DEPTH,
        aliases: env.GRAPHQL_MAX_ALIASES,
        complexity: env.GRAPHQL_MAX_COMPLEXITY,
        tokens: env.GRAPHQL_MAX_TOKENS,
        selections: env.GRAPHQL_MAX_SELECTIONS,
        timeoutMs: env.GRAPHQL_TIMEOUT_MS,
      },
      maxConcurrent: env.GRAPHQL_MAX_CONCURRENT,
      maxConcurrentCost: env.GRAPHQL_MAX_CONCURRENT_COST,
      anonymousLimits: {
        tokens: env.GRAPHQL_ANON_MAX_TOKENS,
        fields: env.GRAPHQL_ANON_MAX_FIELDS,
        depth: env.GRAPHQL_ANON_MAX_DEPTH,
        complexity: env.GRAPHQL_ANON_MAX_COMPLEXITY,
      },
    },
    subscriptions: {
      enabled: env.SUBSCRIPTIONS,
      keepAliveMs: env.SUBSCRIPTIONS_KEEPALIVE_MS,
      initTimeoutMs: env.SUBSCRIPTIONS_INIT_TIMEOUT_MS,
      maxPerSocket: env.SUBSCRIPTIONS_MAX_PER_SOCKET,
      reconnect: { minMs: env.SUBSCRIPTIONS_RECONNECT_MIN_MS, maxMs: env.SUBSCRIPTIONS_RECONNECT_MAX_MS },
    },
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    database: {
      url: env.DATABASE_URL,
      // Migrations hold a session-level advisory lock: they need a connection that bypasses a
      // transaction-mode pooler (PgBouncer). Defaults to DATABASE_URL.
      directUrl: env.DATABASE_DIRECT_URL ?? env.DATABASE_URL,
      retryAfterSeconds: env.DB_RETRY_AFTER_SECONDS,
      embeddedPort: env.EMBEDDED_PG_PORT,
      pool: {
        min: env.DB_POOL_MIN,
        max: env.DB_POOL_MAX,
        maxUses: env.DB_MAX_USES,
        maxLifetimeSeconds: env.DB_MAX_LIFETIME_SECONDS,
        idleTimeoutMillis: env.DB_IDLE_TIMEOUT_MS,
        connectionTimeoutMillis: env.DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMillis: env.DB_STATEMENT_TIMEOUT_MS,
      },
    },
    migrations: {
      onStart: env.MIGRATE_ON_START,
      dir: env.MIGRATIONS_DIR,
      tenantConcurrency: env.MIGRATION_TENANT_CONCURRENCY,
    },
    keyring: { json: env.KEYRING, file: env.KEYRING_FILE },
    // Production refuses loopback, link-local, private and other special addresses unless in
    // SOURCE_ALLOWED_CIDRS; development and tests also allow loopback.
    sources: {
      addressPolicy: env.SOURCE_ADDRESS_POLICY ?? (env.NODE_ENV === 'production' ? 'strict' : 'allow-loopback'),
      allowedCidrs: env.SOURCE_ALLOWED_CIDRS ?? [],
      connectTimeoutMs: env.SOURCE_CONNECT_TIMEOUT_MS,
      testTimeoutMs: env.SOURCE_TEST_TIMEOUT_MS,
      statementTimeoutMs: env.SOURCE_STATEMENT_TIMEOUT_MS,
      previewTimeoutMs: env.SOURCE_PREVIEW_TIMEOUT_MS,
      attemptsPerMinute: env.SOURCE_CONNECT_RATE_LIMIT,
    },
    jobs: {
      workerInProcess: env.WORKER_IN_PROCESS,
      concurrency: env.WORKER_CONCURRENCY,
      batchSize: env.WORKER_BATCH_SIZE,
      organizationConcurrency: env.WORKER_ORG_CONCURRENCY,
      pollSeconds: env.WORKER_POLL_SECONDS,
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
      heartbeatSeconds: env.JOB_HEARTBEAT_SECONDS,
      superviseSeconds: env.JOB_SUPERVISE_SECONDS,
      timeoutSeconds: env.JOB_TIMEOUT_SECONDS,
      retryLimit: env.JOB_RETRY_LIMIT,
      retryDelaySeconds: env.JOB_RETRY_DELAY_SECONDS,
      cancelCheckMs: env.JOB_CANCEL_CHECK_MS,
      testRowLimit: env.JOB_TEST_ROW_LIMIT,
      loadBatchRows: env.JOB_LOAD_BATCH_ROWS,
      scheduleCheckSeconds: env.SCHEDULE_CHECK_SECONDS,
      queueSchema: env.QUEUE_SCHEMA,
    },
    // Sign-up is open by default only on the embedded database, never in production.
    allowSignup: env.ALLOW_SIGNUP ?? (env.NODE_ENV !== 'production' && !env.DATABASE_URL),
    refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
    sessionCache: { ttlMs: env.SESSION_CACHE_TTL_MS, max: env.SESSION_CACHE_MAX },
    jwt: {
      secret: env.JWT_SECRET,
      algorithm: env.JWT_ALGORITHM,
      keysFile: env.JWT_KEYS_FILE,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlSeconds: env.JWT_ACCESS_TTL_SECONDS,
    },
  };
}

/** The service cannot start; the message is one line an operator can act on. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export class ConfigError extends StartupError {
  override name = 'ConfigError';
}

/** A JWT_SECRET shorter than this is refused (HS256 needs a 256-bit key). */
export const MIN_JWT_SECRET_BYTES = 32;

/** Rules that join several variables; loadConfig applies them. */
function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if (config.jwt.secret !== undefined && Buffer.byteLength(config.jwt.secret) < MIN_JWT_SECRET_BYTES) {
    problems.push(`JWT_SECRET: must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
  }
  if (config.jwt.algorithm !== 'HS256' && !config.jwt.keysFile) {
    problems.push(`JWT_KEYS_FILE: is required with JWT_ALGORITHM=${config.jwt.algorithm}`);
  }
  if (config.database.pool.min > config.database.pool.max) problems.push('DB_POOL_MIN: must not exceed DB_POOL_MAX');
  if (config.subscriptions.reconnect.minMs > config.subscriptions.reconnect.maxMs) {
    problems.push('SUBSCRIPTIONS_RECONNECT_MIN_MS: must not exceed SUBSCRIPTIONS_RECONNECT_MAX_MS');
  }
  return problems;
}

/**
 * The secrets production must be given. Elsewhere a missing one is generated
 * once into DATA_DIR. Checked when the services that use them are built (the
 * server, the admin CLI), not by tools that never sign or seal (migrate).
 */
export function requireProductionSecrets(config: Config): void {
  if (!config.isProduction) return;
  if (config.jwt.algorithm === 'HS256' && !config.jwt.secret) {
    throw new ConfigError('JWT_SECRET (or JWT_ALGORITHM with JWT_KEYS_FILE) is required when NODE_ENV=production');
  }
  if (!config.keyring.json && !config.keyring.file) throw new ConfigError('KEYRING or KEYRING_FILE is required when NODE_ENV=production');
}

/** Validates the environment; the error names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "unset", as in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment configuration:\n${lines.join('\n')}`);
  }
  const config = toConfig(parsed.data);
  const problems = crossChecks(config);
  if (problems.length > 0) throw new ConfigError(`Invalid environment configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return config;
}
