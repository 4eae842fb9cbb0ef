import { randomUUID } from 'node:crypto';
import { execute, parse, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Config } from '../config.js';
import { createDb, createPool } from '../db/connection.js';
import type { MigrationFile } from '../db/migration-files.js';
import type { SystemDb } from '../db/system.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { RequestLoaders, type GraphQLContext } from '../graphql/context.js';
import { schema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import { findOrganizationBySlug } from '../organizations/organization.dao.js';
import { createServices } from '../services.js';
import { Tenant } from '../tenancy/tenant.js';
import { findOwner } from '../users/user.dao.js';
import { EXPLAINABLE, estimatedRows, explainStatement, type PlanNode } from './query-plan.dao.js';
import { recordStatements, type CapturedStatement } from './statement-capture.js';

/** An operator command refused or misused; one line for the terminal. */
export class ExplainError extends DomainError {
  readonly code = 'EXPLAIN';
  override name = 'ExplainError';
}

export interface ExplainedStatement extends CapturedStatement {
  /** The EXPLAIN (ANALYZE, BUFFERS) output, or null for transaction control and the like. */
  plan: string[] | null;
  /** Sequential scans over tables at least `largeTableRows` big. */
  seqScans: { relation: string; estimatedRows: number }[];
}

export interface ExplainReport {
  organization: string;
  operationName: string | null;
  errors: string[];
  statements: ExplainedStatement[];
}

export interface ExplainOptions {
  config: Config;
  logger: Logger;
  /**
   * Where to connect. A URL, never a pool: the command opens its own small,
   * separately named pool, so it can never borrow the API server's connections.
   */
  connectionString: string;
  migrations: readonly MigrationFile[];
  slug: string;
  document: string;
  variables?: Record<string, unknown>;
  /** Production is refused unless the operator says so: ANALYZE runs every statement again. */
  forceProduction?: boolean;
  largeTableRows?: number;
}

/** Checked before the command connects anywhere, and again by `explainOperation` itself. */
export function assertExplainAllowed(config: Config, forceProduction = false): void {
  if (config.isProduction && !forceProduction) {
    throw new ExplainError('explain re-runs every statement with EXPLAIN ANALYZE; it refuses to run with NODE_ENV=production unless given --force-production');
  }
}

function queryOperation(document: DocumentNode): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  if (operations.length !== 1) throw new ValidationError('the file must hold exactly one operation');
  const operation = operations[0]!;
  // Mutations would change the organization's data for real; plans of writes are read from their statements' tests.
  if (operation.operation !== 'query') throw new ValidationError(`explain runs queries only, not a ${operation.operation}`);
  return operation;
}

function seqScansOf(node: PlanNode, found: string[] = []): string[] {
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) found.push(`${node.Schema ?? 'public'}.${node['Relation Name']}`);
  for (const child of node.Plans ?? []) seqScansOf(child, found);
  return found;
}

/**
 * Runs one GraphQL query in-process as the organization's owner against the
 * real schema, captures every SQL statement it sends (with parameters, time
 * and rows), and explains each with `EXPLAIN (ANALYZE, BUFFERS)`.
 */
export async function explainOperation(opts: ExplainOptions): Promise<ExplainReport> {
  assertExplainAllowed(opts.config, opts.forceProduction);
  const document = parse(opts.document);
  const operation = queryOperation(document);
  const invalid = validate(schema, document);
  if (invalid.length) throw new ValidationError(`the operation does not fit the schema: ${invalid[0]!.message}`);

  const pool = createPool(opts.connectionString, { ...opts.config.database.pool, min: 0, max: 4 }, opts.logger);
  // Its own sessions, named so pg_stat_activity tells them apart from the API's.
  pool.options.application_name = 'datalinx-explain';
  const recorder = recordStatements(pool);
  const db = createDb(pool);
  const system: SystemDb = { db, pool, migrations: opts.migrations, tenantSnapshot: null, embedded: null, close: () => db.destroy() };
  try {
    const org = await findOrganizationBySlug(db, opts.slug);
    if (!org) throw new NotFoundError('Organization', opts.slug);
    const owner = await findOwner(db, org.id);
    if (!owner) throw new ExplainError(`organization ${opts.slug} has no owner to run the operation as`);
    const services = await createServices(opts.config, opts.logger, system);
    const requestId = `explain-${randomUUID()}`;
    const context: GraphQLContext = {
      requestId,
      clientAddress: null,
      logger: opts.logger as unknown as GraphQLContext['logger'],
      services,
      scope: { services, actor: { kind: 'user', id: owner.id, organizationId: org.id, role: owner.role }, tenant: new Tenant(db, org), requestId, clientAddress: null },
      loaders: new RequestLoaders(),
      credentialChecks: 0,
      limits: { depth: opts.config.graphql.limits.depth, complexity: opts.config.graphql.limits.complexity },
    };

    // Only the operation's statements are recorded: not the lookups above, not the EXPLAINs below.
    recorder.recording = true;
    const result = await execute({ schema, document, contextValue: context, variableValues: opts.variables ?? {} });
    recorder.recording = false;

    const client = await pool.connect();
    try {
      const large = opts.largeTableRows ?? 10_000;
      const statements: ExplainedStatement[] = [];
      for (const statement of recorder.statements) {
        if (!EXPLAINABLE.test(statement.text)) {
          statements.push({ ...statement, plan: null, seqScans: [] });
          continue;
        }
        const { plan, tree } = await explainStatement(client, statement.text, statement.values);
        const relations = [...new Set(seqScansOf(tree))];
        const sizes = await estimatedRows(client, relations);
        const seqScans = relations.map((relation) => ({ relation, estimatedRows: sizes.get(relation) ?? 0 })).filter((s) => s.estimatedRows >= large);
        statements.push({ ...statement, plan, seqScans });
      }
      return { organization: org.slug, operationName: operation.name?.value ?? null, errors: (result.errors ?? []).map((e) => e.message), statements };
    } finally {
      client.release();
    }
  } finally {
    await db.destroy();
  }
}
