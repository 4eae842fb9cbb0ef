import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './types/error.js';
import './types/refs.js';
import './types/organization.js';
import './types/user.js';
import './types/workspace.js';
import './types/workspace-schedule.js';
import './types/data-source.js';
import './types/source-connection.js';
import './types/mapping.js';
import './types/mapping-version.js';
import './types/mapping-sql.js';
import './types/mapping-preview.js';
import './types/pipeline-job.js';
import './types/pipeline-job-subscriptions.js';
import './types/auth.js';
import './types/service-account.js';
import './types/audit-log.js';

builder.queryType({
  description: 'Reads. Every field needs a signed-in caller (bearer access token or API key) and sees only its own organization.',
});
builder.mutationType({
  description:
    'Changes. Each returns a union of its payload and the typed errors it can fail with (`... on Error { code message }`); data-changing ones write one audit entry.',
});

builder.subscriptionType({
  description:
    'Live updates, over WebSocket only (graphql-ws protocol on /graphql; the token goes in connection_init). Each field needs a signed-in caller and sees only its own organization.',
});

export const schema = builder.toSchema({ sortSchema: true });

/** The checked-in SDL (schema.graphql): sorted, so diffs show real changes. */
export function printSchemaSdl(): string {
  return printSchema(lexicographicSortSchema(schema));
}
