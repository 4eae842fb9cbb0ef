import { readFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { SystemDb } from '../db/system.js';
import type { Logger } from '../logger.js';
import { ExplainError, explainOperation, type ExplainReport } from './explain.js';

const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;

/** The report as an operator reads it: each statement, its parameters, its plan, and warnings. */
export function formatExplainReport(report: ExplainReport): string {
  const total = report.statements.reduce((sum, s) => sum + s.ms, 0);
  const flagged = report.statements.filter((s) => s.seqScans.length > 0).length;
  const lines = [
    `${report.operationName ?? 'query'} as the owner of ${report.organization}: ${report.statements.length} statements, ${fmtMs(total)} in the database` +
      (flagged ? `, ${flagged} with a sequential scan over a large table` : ''),
  ];
  for (const error of report.errors) lines.push(`GraphQL error: ${error}`);
  report.statements.forEach((s, i) => {
    lines.push('', `#${i + 1}  ${fmtMs(s.ms)}  ${s.rows ?? '-'} rows`, `  ${s.text.replace(/\s+/g, ' ').trim()}`);
    if (s.values.length) lines.push(`  parameters: ${JSON.stringify(s.values)}`);
    for (const line of s.plan ?? []) lines.push(`    ${line}`);
    for (const scan of s.seqScans) lines.push(`  WARNING: sequential scan over ${scan.relation} (about ${scan.estimatedRows.toLocaleString('en')} rows)`);
  });
  return lines.join('\n');
}

/** `explain --org acme --operation file.graphql [--variables '{…}'] [--force-production] [--json]`. */
export async function explainCommand(
  deps: { config: Config; logger: Logger; system: SystemDb },
  args: { org?: string; operation?: string; variables?: string; 'force-production'?: boolean; 'large-table-rows'?: string; json?: boolean },
): Promise<void> {
  if (!args.org || !args.operation) throw new ExplainError('explain needs --org and --operation');
  const document = await readFile(args.operation, 'utf8').catch(() => {
    throw new ExplainError(`cannot read ${args.operation}`);
  });
  let variables: Record<string, unknown> | undefined;
  try {
    variables = args.variables ? (JSON.parse(args.variables) as Record<string, unknown>) : undefined;
  } catch {
    throw new ExplainError('--variables must be a JSON object');
  }
  const connectionString = deps.config.database.url ?? deps.system.embedded?.connectionString();
  if (!connectionString) throw new ExplainError('no database to connect to');
  const report = await explainOperation({
    config: deps.config,
    logger: deps.logger,
    connectionString,
    migrations: deps.system.migrations,
    slug: args.org,
    document,
    variables,
    forceProduction: args['force-production'] ?? false,
    largeTableRows: args['large-table-rows'] ? Number(args['large-table-rows']) : undefined,
  });
  console.log(args.json ? JSON.stringify(report, null, 2) : formatExplainReport(report));
}
