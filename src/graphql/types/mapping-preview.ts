import * as previews from '../../data-sources/mapping-preview.manager.js';
import type { PreviewColumn } from '../../connectors/index.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { directErrors, SOURCE_CONNECTION_ERRORS } from './error.js';
import { MappingDraftInput, MappingProblemRef } from './mapping-sql.js';
import { DataSourceRef } from './refs.js';

const PreviewColumnRef = builder.objectRef<PreviewColumn>('MappingPreviewColumn').implement({
  description: 'A column of a preview: the target field and its type as the source computes it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The target field, e.g. full_name.' }),
    type: t.exposeString('type', { description: 'Its PostgreSQL type, e.g. text, numeric(10,2), timestamp with time zone.' }),
  }),
});

const MappingPreviewRef = builder.objectRef<previews.MappingPreview>('MappingPreview').implement({
  description:
    "A mapping's first rows, read from its PostgreSQL source with the POSTGRESQL compilation (read-only, rolled back, under SOURCE_PREVIEW_TIMEOUT_MS). When the mapping does not compile, or the source's query fails, `problems` says why and there are no rows.",
  fields: (t) => ({
    dataSource: t.field({ type: DataSourceRef, nullable: true, description: 'The data source the rows were read from; null when nothing ran.', resolve: (p) => p.dataSourceId }),
    sql: t.exposeString('sql', { nullable: true, description: 'The SELECT that ran; null when the mapping does not compile.' }),
    columns: t.field({ type: [PreviewColumnRef], description: 'The result columns, in order; empty when nothing ran or it failed.', resolve: (p) => p.columns }),
    rows: t.field({
      type: ['JSON'],
      description:
        'The rows, each an object keyed by column name. Booleans, 16/32-bit integers, floats and json stay typed; bigint, numeric, dates, timestamps and other types are their PostgreSQL text.',
      resolve: (p) => p.rows,
    }),
    truncated: t.exposeBoolean('truncated', { description: 'True when the source had more rows than `limit`.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'Milliseconds spent on the source (connecting and reading); null when nothing ran.' }),
    problems: t.field({
      type: [MappingProblemRef],
      description: 'Why there are no rows: compile problems, SOURCE_ERROR (the source refused the query) or TIMEOUT. Empty on success.',
      resolve: (p) => p.problems,
    }),
  }),
});

const limitDescription = `Rows to return, 1 to ${previews.PREVIEW_MAX_ROWS}; default ${previews.PREVIEW_DEFAULT_ROWS}.`;
const previewRule = `Editors and above (it reads the customer's data); counts against the organization's connection rate limit; audited (mapping.preview).`;

builder.queryFields((t) => ({
  previewMapping: t.field({
    type: MappingPreviewRef,
    description: `A saved mapping's first rows from its PostgreSQL source. ${previewRule} Errors: UnsupportedSourceError (a source of another type), SourceConnectionError (the failing connection step), RateLimitError, NotFoundError, ForbiddenError, ValidationError (limit; no active data source).`,
    authScopes: { authenticated: true },
    args: {
      id: t.arg.globalID({ required: true, description: 'Global ID of the mapping.' }),
      limit: t.arg.int({ description: limitDescription }),
    },
    errors: directErrors('previewMapping', SOURCE_CONNECTION_ERRORS),
    resolve: (_root, { id, limit }, ctx) => previews.previewMapping(scopeOf(ctx), idOf(id, 'Mapping'), limit),
  }),
  previewMappingInput: t.field({
    type: MappingPreviewRef,
    description: `An unsaved mapping's (the editor's state) first rows from the workspace's PostgreSQL source. ${previewRule} Errors: as previewMapping; ValidationError also for a malformed shape.`,
    authScopes: { authenticated: true },
    args: {
      input: t.arg({ type: MappingDraftInput, required: true, description: 'The mapping to preview.' }),
      limit: t.arg.int({ description: limitDescription }),
    },
    errors: directErrors('previewMappingInput', SOURCE_CONNECTION_ERRORS),
    resolve: (_root, { input, limit }, ctx) =>
      previews.previewMappingInput(scopeOf(ctx), { ...input, workspaceId: idOf(input.workspaceId, 'Workspace') }, limit),
  }),
}));
