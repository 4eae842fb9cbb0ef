/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Settings of an HTTP API source. */
export type ApiConnectionConfigInput = {
  /** none (default) | bearer | basic | api_key */
  authType?: string | null | undefined;
  /** http or https URL, at most 2000 characters. */
  baseUrl: string;
  /** Extra request headers: names up to 200 characters, string values up to 2000. Stored in clear: put secrets in `token`. */
  headers?: Record<string, unknown> | null | undefined;
  /** Write-only. Leave out, or send "********", to keep the stored value. */
  token?: string | null | undefined;
  /** User name for basic authentication, 1–255 characters. */
  username?: string | null | undefined;
};

/** The outcome of one check of a connection test. */
export type ConnectionCheckStatus =
  /** The step failed; `message` says why. Later steps are SKIPPED. */
  | 'FAILED'
  /** The step worked. */
  | 'PASSED'
  /** The step did not run: an earlier one failed, or the source type has no connector yet ("not supported yet"). */
  | 'SKIPPED'
  /** The step worked, with a caveat worth fixing (e.g. no TLS under sslMode prefer). */
  | 'WARNING';

/** Set exactly one field; it decides the source type. */
export type ConnectionConfigInput = {
  /** An HTTP API source. */
  api?: ApiConnectionConfigInput | null | undefined;
  /** A file source. */
  file?: FileConnectionConfigInput | null | undefined;
  /** A PostgreSQL source. */
  postgresql?: PostgresConnectionConfigInput | null | undefined;
  /** A Snowflake source. */
  snowflake?: SnowflakeConnectionConfigInput | null | undefined;
};

/** The outcome of a connection test. */
export type ConnectionTestStatus =
  /** A check failed, or a step could not run (see `checks`). */
  | 'FAILED'
  /** Every check passed (or passed with a warning). */
  | 'SUCCEEDED';

/** A named common table expression. */
export type CteDefinitionInput = {
  /** Its name: letters, digits and underscores, not starting with a digit, at most 255 characters; unique (ignoring case) within the mapping. */
  name: string;
  /** The SELECT that defines it, 1–100,000 characters. */
  sql: string;
};

/** What kind of system a data source reads from; decides the shape of its `connectionConfig`. Fixed when the source is created. */
export type DataSourceType =
  /** An HTTP API (ApiConnectionConfig). */
  | 'API'
  /** Files in CSV, JSON or Parquet at a location (FileConnectionConfig). */
  | 'FILE'
  /** A PostgreSQL database (PostgresConnectionConfig). */
  | 'POSTGRESQL'
  /** A Snowflake warehouse (SnowflakeConnectionConfig). */
  | 'SNOWFLAKE';

/** Set exactly one field: the kind of decorator. */
export type DecoratorInput = {
  /** A decorator of any other kind. */
  generic?: GenericDecoratorInput | null | undefined;
  /** An identity resolution decorator. */
  identityResolution?: IdentityResolutionConfigInput | null | undefined;
};

/** How one warehouse column is filled. */
export type FieldMappingInput = {
  /** Source column, 1–1000 characters; may be omitted when `transform` computes the field (at least one of the two is required). */
  source?: string | null | undefined;
  /** The warehouse column: letters, digits and underscores, not starting with a digit, at most 255 characters; unique within the mapping. */
  targetField: string;
  /** One PostgreSQL expression computing the field, at most 10,000 characters, e.g. DATE(created_at); TRY_CAST(x AS t) (or SAFE_CAST) gives NULL where a value does not fit. Checked on save (see validateMappingInput). */
  transform?: string | null | undefined;
};

/** Settings of a file source. */
export type FileConnectionConfigInput = {
  /** CSV field separator, 1–4 characters. */
  delimiter?: string | null | undefined;
  /** csv | json | parquet */
  format: string;
  /** CSV files start with a header row. */
  hasHeader?: boolean | null | undefined;
  /** Where the files are (URL or path), 1–2000 characters. */
  location: string;
};

/** A decorator of another kind, stored as given. */
export type GenericDecoratorInput = {
  /** Its settings, any JSON. */
  config?: unknown;
  /** Its kind: lowercase letters, digits and underscores, starting with a letter, at most 100 characters. */
  type: string;
};

/** A target field that identifies a record. */
export type IdentityIdentifierInput = {
  /** A target field of the mapping: letters, digits and underscores, not starting with a digit, at most 255 characters. */
  column: string;
  /** Values that identify nobody, at most 100; default "", "null", "none", "n/a", "anonymous", "unknown". */
  ignoreValues?: Array<string> | null | undefined;
  /** Normalisations, in order, at most 4; default [TRIM, LOWER]. */
  normalize?: Array<IdentityNormalization> | null | undefined;
};

/** Two records are the same entity when all these identifiers are equal. */
export type IdentityMatchRuleInput = {
  /** Identifier columns, 1 to 20. */
  allOf: Array<string>;
};

/** How an identifier's value is normalised before values are compared, applied in the order given. */
export type IdentityNormalization =
  /** Everything but the digits removed (phone numbers). */
  | 'DIGITS_ONLY'
  /** Lower-cased. */
  | 'LOWER'
  /** Leading and trailing spaces removed. */
  | 'TRIM'
  /** Upper-cased. */
  | 'UPPER';

/** Settings of an identity resolution decorator: identifiers (required), match rules, record key, output column. The legacy fields cannot be mixed with them. */
export type IdentityResolutionConfigInput = {
  /**
   * Stored, unused.
   * @deprecated Legacy shape: use identifiers, matchRules and outputColumn.
   */
  confidenceThreshold?: number | null | undefined;
  /** The fields that identify a record, 1 to 20. */
  identifiers?: Array<IdentityIdentifierInput> | null | undefined;
  /**
   * Fields that identify an entity: 1 to 20.
   * @deprecated Legacy shape: use identifiers, matchRules and outputColumn.
   */
  matchKeys?: Array<string> | null | undefined;
  /** Rules, 1 to 20, any of which makes two records one entity; default one rule per identifier. */
  matchRules?: Array<IdentityMatchRuleInput> | null | undefined;
  /** Rounds of label propagation, 1 to 100; default 20. */
  maxIterations?: number | null | undefined;
  /** The warehouse column for the entity id: letters, digits and underscores, not starting with a digit, at most 255 characters, not a target field; default entity_id. */
  outputColumn?: string | null | undefined;
  /** A target field unique per record; default the first field in stored order (shorter names first), so set it explicitly. */
  recordKey?: string | null | undefined;
  /**
   * Default EXACT; FUZZY is stored but cannot be compiled.
   * @deprecated Legacy shape: use identifiers, matchRules and outputColumn.
   */
  strategy?: IdentityResolutionStrategy | null | undefined;
  /**
   * Warehouse column for the resolved entity ID: letters, digits and underscores, not starting with a digit, at most 255 characters.
   * @deprecated Legacy shape: use identifiers, matchRules and outputColumn.
   */
  targetIdField?: string | null | undefined;
};

/** How records were matched in the legacy shape (matchKeys). Deprecated with it: identifiers and match rules say how records match. */
export type IdentityResolutionStrategy =
  /** Values compared after trimming and lower-casing. The only strategy the new shape has. */
  | 'EXACT'
  /** Similar values: stored as given, but not compiled (a mapping with it is not valid); use normalisations instead. */
  | 'FUZZY';

/** Incremental-load settings of a mapping. Both name target fields of the mapping; not allowed with identity resolution. */
export type IncrementalLoadInput = {
  /** Target field whose values only grow, e.g. updated_at. */
  cursorColumn: string;
  /** Target fields identifying a row (1 to 20, unique), e.g. ["customer_id"]. */
  keyColumns: Array<string>;
};

/** Where a job is: pending → running → completed | failed; pending or running → cancelled. */
export type JobStatus =
  /** Stopped by `cancelPipelineJob` before it finished; `runMetadata.cancelledBy` says who. */
  | 'CANCELLED'
  /** Finished successfully at `completedAt`. */
  | 'COMPLETED'
  /** Finished with an error; see `errorMessage`. */
  | 'FAILED'
  /** Queued, waiting for a runner. Every job starts here. */
  | 'PENDING'
  /** A runner is working on it since `startedAt`. */
  | 'RUNNING';

/** What a pipeline job does. */
export type JobType =
  /** Rebuilds the workspace's warehouse tables from all source data. */
  | 'FULL_REFRESH'
  /** Loads only what changed in the sources since the last run. The default job type of a new workspace. */
  | 'INCREMENTAL'
  /** Runs the mappings as a dry run to check them, without writing to the warehouse. */
  | 'MAPPING_TEST';

/** An unsaved mapping (the editor's state), checked or compiled without storing it. */
export type MappingDraftInput = {
  /** Common table expressions. Default none. */
  cteDefinitions?: Array<CteDefinitionInput> | null | undefined;
  /** Steps applied to the mapped rows. Default none. */
  decorators?: Array<DecoratorInput> | null | undefined;
  /** How each target column is filled (the same rules as createMapping). */
  fieldMappings: Array<FieldMappingInput>;
  /** Source table it reads, e.g. crm.customers, or the name of one of its CTEs. */
  sourceTable: string;
  /** Warehouse table it fills. */
  targetTable: string;
  /** Global ID of the workspace whose data sources hold the cached source schema. */
  workspaceId: string | number;
};

/** What is wrong with a part of a mapping. New codes may be added; treat an unknown one as a generic problem. */
export type MappingProblemCode =
  /** A comment in mapping SQL (refused: other dialects end comments differently, so they could hide statements). */
  | 'COMMENT_NOT_ALLOWED'
  /** A data-changing (INSERT, UPDATE, DELETE, MERGE) or locking clause (FOR UPDATE/SHARE), SELECT INTO, or a function in FROM. */
  | 'FORBIDDEN_CLAUSE'
  /** A call to a function outside the allowlist (pg_sleep, dblink, lo_import, set_config, any schema-qualified function …). */
  | 'FORBIDDEN_FUNCTION'
  /** A decorator whose config does not fit its kind (e.g. identity resolution naming a field the mapping does not fill). */
  | 'INVALID_DECORATOR'
  /** A field with neither a source column nor a transform. */
  | 'MISSING_EXPRESSION'
  /** Several statements where one expression (transform) or one SELECT (CTE) is allowed, e.g. `x; DROP TABLE t`. */
  | 'MULTIPLE_STATEMENTS'
  /** A transform is not one expression (a statement, a list, or a clause such as FROM). */
  | 'NOT_AN_EXPRESSION'
  /** A CTE is a statement other than SELECT. */
  | 'NOT_A_SELECT'
  /** The text is not valid PostgreSQL; `position` points at the error. */
  | 'PARSE_ERROR'
  /** A preview's query failed on the source (e.g. a cast that real data does not fit); the message is the source's, without secrets. */
  | 'SOURCE_ERROR'
  /** A sub-select inside a transform (allowed in CTEs only). */
  | 'SUBQUERY_NOT_ALLOWED'
  /** A preview ran longer than SOURCE_PREVIEW_TIMEOUT_MS and was cancelled on the source. */
  | 'TIMEOUT'
  /** A column the source table (as its cached schema knows it) or the CTE does not have; `suggestion` names near ones. */
  | 'UNKNOWN_COLUMN'
  /** A table the source's cached schema does not have; `suggestion` names near ones. */
  | 'UNKNOWN_TABLE'
  /** A construct this dialect cannot express with the same meaning; no SQL is emitted rather than wrong SQL. */
  | 'UNTRANSLATABLE';

/** Where a mapping is in its life: draft → active → archived, one way only. */
export type MappingStatus =
  /** In use by pipeline runs; still editable (each change bumps `version`). */
  | 'ACTIVE'
  /** Retired: kept for history, no longer changeable. */
  | 'ARCHIVED'
  /** Being written; not used by pipeline runs yet. Every mapping starts here. */
  | 'DRAFT';

/** Settings of a PostgreSQL source. */
export type PostgresConnectionConfigInput = {
  /** Database name, 1–255 characters. */
  database: string;
  /** Host name or IP address, 1–255 characters. */
  host: string;
  /** Write-only. Leave out, or send "********", to keep the stored value. */
  password?: string | null | undefined;
  /** TCP port, 1–65535; default 5432. */
  port?: number | null | undefined;
  /** disable | allow | prefer | require (default) | verify-ca | verify-full */
  sslMode?: string | null | undefined;
  /** User to connect as, 1–255 characters. */
  user: string;
};

/** How much a schema change matters to the mappings of the workspace. */
export type SchemaChangeClassification =
  /** A mapping reads a removed table or column, or a column whose type changed. */
  | 'BREAKING'
  /** Something changed, but no mapping reads what was removed or retyped. */
  | 'NON_BREAKING'
  /** The schema is as it was. */
  | 'NO_CHANGE';

/** What happened to a column. */
export type SchemaColumnChangeKind =
  /** The column is new. */
  | 'ADDED'
  /** It now allows nulls, or no longer does. */
  | 'NULLABILITY_CHANGED'
  /** The column is gone. */
  | 'REMOVED'
  /** Its declared type changed (see oldType, newType). */
  | 'TYPE_CHANGED';

/** What happened to a table. */
export type SchemaTableChangeKind =
  /** The table is new. */
  | 'ADDED'
  /** Some of its columns changed. */
  | 'CHANGED'
  /** The table is gone (or the user may no longer read it). */
  | 'REMOVED';

/** A workspace's schedule; replaces the one it has. */
export type SetWorkspaceScheduleInput = {
  /** Five fields (minute hour day-of-month month day-of-week), e.g. "*\/15 * * * *", or @hourly, @daily, @weekly, @monthly, @yearly, @weekdays, @weekends. No seconds field. */
  cron: string;
  /** False keeps the schedule without firing it. Default true. */
  enabled?: boolean | null | undefined;
  /** The job type each tick queues; default: the workspace's `defaultJobType` setting. FULL_REFRESH and INCREMENTAL need the workspace's warehouse. */
  jobType?: JobType | null | undefined;
  /** IANA time zone the expression is read in; default: the workspace's `timezone` setting. */
  timeZone?: string | null | undefined;
  /** Global ID of the workspace. */
  workspaceId: string | number;
};

/** Settings of a Snowflake source; it authenticates with `password` or with a key pair (`privateKey`). */
export type SnowflakeConnectionConfigInput = {
  /** Account identifier, 1–255 characters. */
  account: string;
  /** Database name, 1–255 characters. */
  database: string;
  /** Write-only. Leave out, or send "********", to keep the stored value. */
  password?: string | null | undefined;
  /** Write-only. Leave out, or send "********", to keep the stored value. */
  privateKey?: string | null | undefined;
  /** Role to use, 1–255 characters. */
  role?: string | null | undefined;
  /** Schema to read, 1–255 characters. */
  schema?: string | null | undefined;
  /** User to connect as, 1–255 characters. */
  user: string;
  /** Virtual warehouse, 1–255 characters. */
  warehouse: string;
};

/** What kind of relation a source table is. */
export type SourceTableKind =
  /** A foreign table. */
  | 'FOREIGN_TABLE'
  /** A materialized view. */
  | 'MATERIALIZED_VIEW'
  /** A table (for PostgreSQL also a partitioned table, standing for its partitions). */
  | 'TABLE'
  /** A view. */
  | 'VIEW';

/** Changes to a mapping; omitted fields stay as they are, given lists replace the stored ones. */
export type UpdateMappingInput = {
  /** Replaces all CTEs: at most 100, in the order the query defines them. */
  cteDefinitions?: Array<CteDefinitionInput> | null | undefined;
  /** Replaces all decorators: at most 50, applied in order. */
  decorators?: Array<DecoratorInput> | null | undefined;
  /** The version the change was made on; a newer stored version is a ConflictError. */
  expectedVersion: number;
  /** Replaces all field mappings: 1 to 2000, target fields unique. */
  fieldMappings?: Array<FieldMappingInput> | null | undefined;
  /** Global ID of the mapping. */
  id: string | number;
  /** Replaces the incremental-load settings; null removes them; omitted keeps them. */
  incremental?: IncrementalLoadInput | null | undefined;
  /** New source table, 1–255 characters after trimming. */
  sourceTable?: string | null | undefined;
  /** New warehouse table, 1–255 characters after trimming. */
  targetTable?: string | null | undefined;
};

/** A warehouse and its SQL dialect: where a workspace loads its data, and what a mapping is compiled to. */
export type WarehouseDialect =
  /** Google BigQuery (GoogleSQL). */
  | 'BIGQUERY'
  /** Databricks SQL (Spark SQL). */
  | 'DATABRICKS'
  /** PostgreSQL (loaded and executed by this deployment). */
  | 'POSTGRESQL'
  /** Snowflake. */
  | 'SNOWFLAKE';

export type ExampleFailedJobsQueryVariables = Exact<{
  workspaceId?: string | number | null | undefined;
}>;


export type ExampleFailedJobsQuery = { pipelineJobs: { totalCount: number, edges: Array<{ node: { id: string, errorMessage: string | null } }> } };

export type DataSourceTestConfigMutationVariables = Exact<{
  workspaceId: string | number;
  connectionConfig: ConnectionConfigInput;
  dataSourceId?: string | number | null | undefined;
}>;


export type DataSourceTestConfigMutation = { testDataSourceConnectionConfig:
    | { __typename: 'ConnectionTestResult', status: ConnectionTestStatus, durationMs: number, message: string, checks: Array<{ name: string, status: ConnectionCheckStatus, message: string }> }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RateLimitError', retryAfterSeconds: number, code: string, message: string }
    | { __typename: 'SourceConnectionError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'UnsupportedSourceError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type DataSourceTestMutationVariables = Exact<{
  id: string | number;
}>;


export type DataSourceTestMutation = { testDataSourceConnection:
    | { __typename: 'ConnectionTestResult', status: ConnectionTestStatus, message: string, checks: Array<{ name: string, status: ConnectionCheckStatus, message: string }> }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RateLimitError', code: string, message: string }
    | { __typename: 'SourceConnectionError', code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'UnsupportedSourceError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type DataSourceRefreshSchemaMutationVariables = Exact<{
  id: string | number;
}>;


export type DataSourceRefreshSchemaMutation = { refreshDataSourceSchema:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RateLimitError', code: string, message: string }
    | { __typename: 'RefreshDataSourceSchemaPayload', dataSource: { id: string, lastSchemaRefresh: string | null, schemaCache: { tables: Array<{ qualifiedName: string, kind: SourceTableKind | null, columns: Array<{ name: string, dataType: string, nullable: boolean, isPrimaryKey: boolean, ordinalPosition: number }> }> } | null }, diff: { classification: SchemaChangeClassification, tableChanges: Array<{ table: string, change: SchemaTableChangeKind, columnChanges: Array<{ column: string, change: SchemaColumnChangeKind, oldType: string | null, newType: string | null, breaking: boolean, affectedMappings: Array<{ id: string, targetTable: string }> }> }> } }
    | { __typename: 'SourceConnectionError', step: string, code: string, message: string }
    | { __typename: 'UnauthenticatedError', code: string, message: string }
    | { __typename: 'UnsupportedSourceError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   };

export type JobListQueryVariables = Exact<{
  workspaceId?: string | number | null | undefined;
  status?: JobStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type JobListQuery = { pipelineJobs: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, jobType: JobType, status: JobStatus, createdAt: string, startedAt: string | null, completedAt: string | null, errorMessage: string | null, runMetadata: { rowsProcessed: number | null, durationMs: number | null }, workspace: { name: string } } }> } };

export type MappingEditorLoadQueryVariables = Exact<{
  id: string | number;
}>;


export type MappingEditorLoadQuery = { mapping: { id: string, version: number, status: MappingStatus, sourceTable: string, targetTable: string, fieldMappings: Array<{ targetField: string, source: string | null, transform: string | null }>, decorators: Array<
      | { config: unknown, type: string }
      | { type: string, identityResolution: { recordKey: string | null, outputColumn: string, maxIterations: number, identifiers: Array<{ column: string, normalize: Array<IdentityNormalization>, ignoreValues: Array<string> }>, matchRules: Array<{ allOf: Array<string> }> } }
    >, cteDefinitions: Array<{ name: string, sql: string }>, workspace: { id: string, name: string } } | null };

export type MappingEditorSaveMutationVariables = Exact<{
  input: UpdateMappingInput;
}>;


export type MappingEditorSaveMutation = { updateMapping:
    | { __typename: 'ConflictError', message: string, currentVersion: number | null, code: string }
    | { __typename: 'ForbiddenError', message: string, code: string }
    | { __typename: 'NotFoundError', message: string, code: string }
    | { __typename: 'UnauthenticatedError', message: string, code: string }
    | { __typename: 'UpdateMappingPayload', mapping: { id: string, version: number, updatedAt: string } }
    | { __typename: 'ValidationError', message: string, path: Array<string>, code: string }
   };

export type MappingEditorCheckQueryVariables = Exact<{
  input: MappingDraftInput;
}>;


export type MappingEditorCheckQuery = { validateMappingInput: { valid: boolean, problems: Array<{ path: Array<string>, code: MappingProblemCode, message: string, position: number | null, suggestion: string | null }> } };

export type MappingEditorCompileQueryVariables = Exact<{
  input: MappingDraftInput;
  dialect: WarehouseDialect;
}>;


export type MappingEditorCompileQuery = { compileMappingInput: { sql: string | null, statements: Array<string>, referencedColumns: Array<string>, problems: Array<{ path: Array<string>, code: MappingProblemCode, message: string }> } };

export type MappingEditorPreviewQueryVariables = Exact<{
  input: MappingDraftInput;
  limit?: number | null | undefined;
}>;


export type MappingEditorPreviewQuery = { previewMappingInput:
    | { __typename: 'ForbiddenError', message: string, code: string }
    | { __typename: 'MappingPreview', rows: Array<unknown>, truncated: boolean, durationMs: number | null, columns: Array<{ name: string, type: string }>, problems: Array<{ path: Array<string>, code: MappingProblemCode, message: string, suggestion: string | null }> }
    | { __typename: 'NotFoundError', message: string, code: string }
    | { __typename: 'RateLimitError', message: string, code: string }
    | { __typename: 'SourceConnectionError', message: string, step: string, code: string }
    | { __typename: 'UnauthenticatedError', message: string, code: string }
    | { __typename: 'UnsupportedSourceError', message: string, sourceType: string, code: string }
    | { __typename: 'ValidationError', message: string, code: string }
   };

export type MappingEditorHistoryQueryVariables = Exact<{
  id: string | number;
  from: number;
  to: number;
}>;


export type MappingEditorHistoryQuery = { mapping: { versions: { totalCount: number, edges: Array<{ node: { version: number, changedAt: string, changedBy: { email: string } | null } }> }, diff: { changed: boolean, fieldMappings: { added: Array<{ targetField: string }>, removed: Array<{ targetField: string }>, changed: Array<{ targetField: string }> }, status: { before: MappingStatus, after: MappingStatus } | null } } | null };

export type WorkspaceDashboardQueryVariables = Exact<{
  id: string | number;
}>;


export type WorkspaceDashboardQuery = { workspace: { id: string, name: string, description: string | null, updatedAt: string, settings: { timezone: string | null, defaultJobType: JobType | null }, dataSources: { totalCount: number, edges: Array<{ node: { id: string, name: string, sourceType: DataSourceType, isActive: boolean, lastSchemaRefresh: string | null } }> }, mappings: { totalCount: number, edges: Array<{ node: { id: string, sourceTable: string, targetTable: string, status: MappingStatus, version: number } }> }, pipelineJobs: { edges: Array<{ node: { id: string, jobType: JobType, status: JobStatus, createdAt: string, createdBy: { displayName: string | null } | null } }> } } | null };

export type WorkspaceScheduleQueryVariables = Exact<{
  id: string | number;
}>;


export type WorkspaceScheduleQuery = { workspace: { id: string, name: string, schedule: { cron: string, timeZone: string, jobType: JobType, enabled: boolean, nextRunAt: string | null, lastTickAt: string | null, lastProblem: string | null, lastJob: { id: string, status: JobStatus } | null } | null } | null };

export type SetWorkspaceScheduleMutationVariables = Exact<{
  input: SetWorkspaceScheduleInput;
}>;


export type SetWorkspaceScheduleMutation = { setWorkspaceSchedule:
    | { __typename: 'ConflictError', message: string, code: string }
    | { __typename: 'ForbiddenError', message: string, code: string }
    | { __typename: 'NotFoundError', message: string, code: string }
    | { __typename: 'SetWorkspaceSchedulePayload', workspace: { id: string, schedule: { cron: string, timeZone: string, jobType: JobType, enabled: boolean, nextRunAt: string | null } | null } }
    | { __typename: 'UnauthenticatedError', message: string, code: string }
    | { __typename: 'ValidationError', message: string, path: Array<string>, code: string }
   };

export type RemoveWorkspaceScheduleMutationVariables = Exact<{
  workspaceId: string | number;
}>;


export type RemoveWorkspaceScheduleMutation = { removeWorkspaceSchedule:
    | { __typename: 'ConflictError', message: string, code: string }
    | { __typename: 'ForbiddenError', message: string, code: string }
    | { __typename: 'NotFoundError', message: string, code: string }
    | { __typename: 'RemoveWorkspaceSchedulePayload', workspace: { id: string } }
    | { __typename: 'UnauthenticatedError', message: string, code: string }
    | { __typename: 'ValidationError', message: string, code: string }
   };


export const ExampleFailedJobsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ExampleFailedJobs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pipelineJobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workspaceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"FAILED"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"errorMessage"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ExampleFailedJobsQuery, ExampleFailedJobsQueryVariables>;
export const DataSourceTestConfigDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DataSourceTestConfig"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"connectionConfig"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ConnectionConfigInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"dataSourceId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"testDataSourceConnectionConfig"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workspaceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"connectionConfig"},"value":{"kind":"Variable","name":{"kind":"Name","value":"connectionConfig"}}},{"kind":"Argument","name":{"kind":"Name","value":"dataSourceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"dataSourceId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ConnectionTestResult"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RateLimitError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryAfterSeconds"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DataSourceTestConfigMutation, DataSourceTestConfigMutationVariables>;
export const DataSourceTestDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DataSourceTest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"testDataSourceConnection"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ConnectionTestResult"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DataSourceTestMutation, DataSourceTestMutationVariables>;
export const DataSourceRefreshSchemaDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DataSourceRefreshSchema"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refreshDataSourceSchema"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RefreshDataSourceSchemaPayload"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dataSource"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"lastSchemaRefresh"}},{"kind":"Field","name":{"kind":"Name","value":"schemaCache"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"qualifiedName"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"dataType"}},{"kind":"Field","name":{"kind":"Name","value":"nullable"}},{"kind":"Field","name":{"kind":"Name","value":"isPrimaryKey"}},{"kind":"Field","name":{"kind":"Name","value":"ordinalPosition"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"diff"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"classification"}},{"kind":"Field","name":{"kind":"Name","value":"tableChanges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"table"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"columnChanges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"column"}},{"kind":"Field","name":{"kind":"Name","value":"change"}},{"kind":"Field","name":{"kind":"Name","value":"oldType"}},{"kind":"Field","name":{"kind":"Name","value":"newType"}},{"kind":"Field","name":{"kind":"Name","value":"breaking"}},{"kind":"Field","name":{"kind":"Name","value":"affectedMappings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"targetTable"}}]}}]}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SourceConnectionError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"step"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DataSourceRefreshSchemaMutation, DataSourceRefreshSchemaMutationVariables>;
export const JobListDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"JobStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"25"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pipelineJobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workspaceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobType"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"completedAt"}},{"kind":"Field","name":{"kind":"Name","value":"errorMessage"}},{"kind":"Field","name":{"kind":"Name","value":"runMetadata"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rowsProcessed"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}}]}},{"kind":"Field","name":{"kind":"Name","value":"workspace"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<JobListQuery, JobListQueryVariables>;
export const MappingEditorLoadDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MappingEditorLoad"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mapping"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"sourceTable"}},{"kind":"Field","name":{"kind":"Name","value":"targetTable"}},{"kind":"Field","name":{"kind":"Name","value":"fieldMappings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"targetField"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"transform"}}]}},{"kind":"Field","name":{"kind":"Name","value":"decorators"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"IdentityResolutionDecorator"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"identityResolution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"identifiers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"column"}},{"kind":"Field","name":{"kind":"Name","value":"normalize"}},{"kind":"Field","name":{"kind":"Name","value":"ignoreValues"}}]}},{"kind":"Field","name":{"kind":"Name","value":"matchRules"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"allOf"}}]}},{"kind":"Field","name":{"kind":"Name","value":"recordKey"}},{"kind":"Field","name":{"kind":"Name","value":"outputColumn"}},{"kind":"Field","name":{"kind":"Name","value":"maxIterations"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"GenericDecorator"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"config"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"cteDefinitions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"sql"}}]}},{"kind":"Field","name":{"kind":"Name","value":"workspace"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<MappingEditorLoadQuery, MappingEditorLoadQueryVariables>;
export const MappingEditorSaveDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"MappingEditorSave"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateMappingInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateMapping"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateMappingPayload"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mapping"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ConflictError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"currentVersion"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ValidationError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"path"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]} as unknown as DocumentNode<MappingEditorSaveMutation, MappingEditorSaveMutationVariables>;
export const MappingEditorCheckDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MappingEditorCheck"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"MappingDraftInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"validateMappingInput"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"valid"}},{"kind":"Field","name":{"kind":"Name","value":"problems"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"suggestion"}}]}}]}}]}}]} as unknown as DocumentNode<MappingEditorCheckQuery, MappingEditorCheckQueryVariables>;
export const MappingEditorCompileDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MappingEditorCompile"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"MappingDraftInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"dialect"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"WarehouseDialect"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"compileMappingInput"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}},{"kind":"Argument","name":{"kind":"Name","value":"dialect"},"value":{"kind":"Variable","name":{"kind":"Name","value":"dialect"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sql"}},{"kind":"Field","name":{"kind":"Name","value":"statements"}},{"kind":"Field","name":{"kind":"Name","value":"referencedColumns"}},{"kind":"Field","name":{"kind":"Name","value":"problems"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<MappingEditorCompileQuery, MappingEditorCompileQueryVariables>;
export const MappingEditorPreviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MappingEditorPreview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"MappingDraftInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"limit"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"previewMappingInput"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}},{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"Variable","name":{"kind":"Name","value":"limit"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MappingPreview"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"type"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rows"}},{"kind":"Field","name":{"kind":"Name","value":"truncated"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}},{"kind":"Field","name":{"kind":"Name","value":"problems"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"suggestion"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UnsupportedSourceError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"sourceType"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SourceConnectionError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"step"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]} as unknown as DocumentNode<MappingEditorPreviewQuery, MappingEditorPreviewQueryVariables>;
export const MappingEditorHistoryDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MappingEditorHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mapping"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"versions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"changedAt"}},{"kind":"Field","name":{"kind":"Name","value":"changedBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"email"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"diff"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"fromVersion"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"toVersion"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changed"}},{"kind":"Field","name":{"kind":"Name","value":"fieldMappings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"added"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"targetField"}}]}},{"kind":"Field","name":{"kind":"Name","value":"removed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"targetField"}}]}},{"kind":"Field","name":{"kind":"Name","value":"changed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"targetField"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"status"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"before"}},{"kind":"Field","name":{"kind":"Name","value":"after"}}]}}]}}]}}]}}]} as unknown as DocumentNode<MappingEditorHistoryQuery, MappingEditorHistoryQueryVariables>;
export const WorkspaceDashboardDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"WorkspaceDashboard"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workspace"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"settings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timezone"}},{"kind":"Field","name":{"kind":"Name","value":"defaultJobType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"dataSources"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"sourceType"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"lastSchemaRefresh"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"mappings"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"sourceTable"}},{"kind":"Field","name":{"kind":"Name","value":"targetTable"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pipelineJobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobType"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<WorkspaceDashboardQuery, WorkspaceDashboardQueryVariables>;
export const WorkspaceScheduleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"WorkspaceSchedule"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workspace"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cron"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"jobType"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"nextRunAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastTickAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastProblem"}},{"kind":"Field","name":{"kind":"Name","value":"lastJob"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]} as unknown as DocumentNode<WorkspaceScheduleQuery, WorkspaceScheduleQueryVariables>;
export const SetWorkspaceScheduleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetWorkspaceSchedule"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetWorkspaceScheduleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setWorkspaceSchedule"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SetWorkspaceSchedulePayload"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workspace"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cron"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"jobType"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"nextRunAt"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ValidationError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"path"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]} as unknown as DocumentNode<SetWorkspaceScheduleMutation, SetWorkspaceScheduleMutationVariables>;
export const RemoveWorkspaceScheduleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveWorkspaceSchedule"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeWorkspaceSchedule"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"workspaceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workspaceId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RemoveWorkspaceSchedulePayload"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workspace"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]} as unknown as DocumentNode<RemoveWorkspaceScheduleMutation, RemoveWorkspaceScheduleMutationVariables>;