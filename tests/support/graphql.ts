import type { GraphQLResponse, TestServer } from './test-server.js';

/**
 * Talking GraphQL to a test server: IDs as the API builds them, requests that
 * must succeed, mutation results, and what a response may never contain.
 */

/** A Relay global ID, built the way the API builds them. */
export const globalId = (typename: string, id: string): string => Buffer.from(`${typename}:${id}`).toString('base64url');

/** The database id behind a global ID. */
export const localId = (id: string): string => Buffer.from(id, 'base64url').toString('utf8').split(':')[1]!;

/** The type name inside a global ID. */
export const typenameOf = (id: string): string => Buffer.from(id, 'base64url').toString('utf8').split(':')[0]!;

/** A well-formed UUID no row has. */
export const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000';

/** Selects what any typed error says about itself; fits every mutation's result union. */
export const ERROR_FIELDS = `... on Error { __typename message code }
  ... on ValidationError { path }`;

/** ERROR_FIELDS and the details of NotFoundError and ConflictError, for the unions that hold them (workspaces, data sources, mappings, jobs). */
export const ENTITY_ERROR_FIELDS = `${ERROR_FIELDS}
  ... on NotFoundError { entityType }
  ... on ConflictError { currentVersion currentStatus }`;

/** A typed error as a mutation returns it (with ERROR_FIELDS selected). */
export interface TypedError {
  __typename: string;
  message: string;
  code: string;
  path?: string[];
  entityType?: string;
  currentVersion?: number | null;
  currentStatus?: string | null;
}

/** The result of a mutation in a response: the one field of `data`. */
export type Result = Record<string, unknown> & { __typename?: string };

/** Any ISO-8601 UTC timestamp, as the DateTime scalar writes them. */
export const ISO_DATE = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

/**
 * What must never reach a client: driver or SQL text, stack frames. Word
 * boundaries keep base64 IDs (which may hold "pg") from matching.
 */
export const LEAK_PATTERN = /\bpg\b|\brelation\b|\bsyntax\b|\bselect\b[\s\S]*\bfrom\b|\binsert into\b|\bnode_modules\b|\.[jt]s:\d+|\bat \w+ \(|stacktrace|datalinx_platform|\borg_[a-z0-9_]+\b/i;

/** Runs a request that must succeed as a whole (HTTP 200, no `errors`); returns its data, or fails the test with the errors. */
export async function gqlData<T = Record<string, unknown>>(server: TestServer, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  if (res.status !== 200 || res.body.errors?.length) throw new Error(`GraphQL request failed (${res.status}): ${JSON.stringify(res.body.errors)}`);
  return res.body.data as T;
}

/** Runs a mutation and returns its (only) result field: a payload or a typed error, checked for leaked internals. */
export async function mutate<T = Record<string, unknown>>(server: TestServer, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const result = Object.values(await gqlData<Record<string, T>>(server, query, variables, token))[0]!;
  if (typeof result === 'object' && result !== null && 'code' in result) expect(JSON.stringify(result)).not.toMatch(LEAK_PATTERN);
  return result;
}

/** The (only) root field of a response's data; null when there is no data. */
export const resultOf = (res: GraphQLResponse): Result | boolean | null => (res.body.data ? (Object.values(res.body.data)[0] as Result | boolean) : null);

/** POSTs a GraphQL request and returns the body as sent, for checks on the raw text. */
export async function rawGql(server: TestServer, query: string, variables: Record<string, unknown>, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

/** The errors of a response, reduced to what a client acts on; checked for leaked internals. */
export function errorsOf(res: GraphQLResponse<unknown>): { message: string; code: unknown; path?: unknown }[] {
  expect(JSON.stringify(res.body.errors ?? [])).not.toMatch(LEAK_PATTERN);
  return (res.body.errors ?? []).map((e) => ({
    message: e.message,
    code: e.extensions?.code,
    ...(e.extensions?.path ? { path: e.extensions.path } : {}),
  }));
}

/** The HTTP status and error codes of a response: what a client branches on. */
export function failure(res: GraphQLResponse<unknown>): { status: number; codes: unknown[] } {
  return { status: res.status, codes: errorsOf(res).map((e) => e.code) };
}
