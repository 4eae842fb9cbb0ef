import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { encodeCursor, type Page, type PageArgs } from '../db/pagination.js';
import { NotFoundError, UnauthenticatedError, ValidationError } from '../errors.js';
import type { CallScope, RequestScope } from '../auth/scope.js';
import type { GraphQLContext } from './context.js';
import { isUuid } from '../validation.js';


/** Global IDs are base64url("Type:uuid"); anything else is refused before it reaches SQL. */
export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${String(id)}`).toString('base64url');
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const text = Buffer.from(String(globalId), 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const typename = text.slice(0, sep);
  const id = text.slice(sep + 1);
  if (sep <= 0 || !/^[A-Z][A-Za-z]*$/.test(typename) || !isUuid(id)) {
    throw new ValidationError(`"${globalId}" is not a valid ID`, ['id']);
  }
  // The UUID as PostgreSQL prints it (lower case): loaders match rows by their id's text.
  return { typename, id: id.toLowerCase() };
}

/** The local id behind a global one of the expected type; another type is simply not found. */
export function idOf(arg: { typename: string; id: string }, typename: string): string {
  if (arg.typename !== typename) throw new NotFoundError(typename, encodeGlobalId(arg.typename, arg.id));
  return arg.id;
}

/** The caller's scope; resolvers behind `authenticated` always have one. */
export function scopeOf(ctx: GraphQLContext): RequestScope {
  if (!ctx.scope) throw new UnauthenticatedError();
  return ctx.scope;
}

/** The caller's scope for platform work (sign-up, login): signed in or anonymous. */
export function callerOf(ctx: GraphQLContext): CallScope {
  return ctx.scope ?? { services: ctx.services, actor: null, requestId: ctx.requestId, clientAddress: ctx.clientAddress };
}

export interface ConnectionResult<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when the client asks for it. */
  totalCount: () => Promise<number>;
}

/** An edge whose cursor is encoded when a client asks for it: most reads of a list never do. */
class Edge<T extends { id: string }> {
  constructor(readonly node: T) {}
  get cursor(): string {
    return encodeCursor(this.node.id);
  }
}

/** A page's pageInfo, its cursors encoded when a client asks for them (as the edges'). */
class PageInfo {
  constructor(private readonly page: Page<{ id: string }>) {}
  get hasNextPage(): boolean {
    return this.page.hasNextPage;
  }
  get hasPreviousPage(): boolean {
    return this.page.hasPreviousPage;
  }
  get startCursor(): string | null {
    const first = this.page.rows[0];
    return first ? encodeCursor(first.id) : null;
  }
  get endCursor(): string | null {
    const last = this.page.rows.at(-1);
    return last ? encodeCursor(last.id) : null;
  }
}

/** A page as a Relay connection; totalCount is the page's own when its statement counted, else `totalCount()`, run only if asked for. */
export function toConnection<T extends { id: string }>(page: Page<T>, totalCount: () => Promise<number>): ConnectionResult<T> {
  return {
    edges: page.rows.map((node) => new Edge(node)),
    pageInfo: new PageInfo(page),
    totalCount: page.totalCount === undefined ? totalCount : () => Promise.resolve(page.totalCount!),
  };
}

/** Complexity of a connection field: its page size times its children. */
export const connectionComplexity = Object.assign(
  (args: { first?: number | null; last?: number | null }) => ({
    field: 1,
    multiplier: Math.min(args.first ?? args.last ?? 20, 100),
  }),
  { reads: ['first', 'last'] as const },
);

/**
 * The columns each field of a listed type reads from its row (`id` too). A
 * list whose nodes show only fields named here reads only their columns
 * (PageArgs.columns); any field not named makes it read every column. A field
 * named with too few columns throws when listed (src/db/lazy-json.ts), never
 * answers from a column that was not read; tests/graphql/list-columns.test.ts
 * asks each named field alone.
 */
export type FieldColumns<Row> = Readonly<Record<string, readonly (keyof Row & string)[]>>;
type AnyFieldColumns = Readonly<Record<string, readonly string[]>>;

/**
 * What a question about a field's selection answered, per field node: it
 * depends on the node's selection set and its document's fragments only, and
 * a document Apollo parsed once gives the same node objects to every request
 * that sends its text (a list's parents ask it once each, too).
 */
const selectionAnswers = new WeakMap<FieldNode, Map<unknown, unknown>>();
function rememberedAnswer<A>(info: Pick<GraphQLResolveInfo, 'fieldNodes'>, question: unknown, answer: () => A): A {
  if (info.fieldNodes.length !== 1) return answer();
  const node = info.fieldNodes[0]!;
  let answers = selectionAnswers.get(node);
  if (!answers) selectionAnswers.set(node, (answers = new Map()));
  if (answers.has(question)) return answers.get(question) as A;
  const known = answer();
  answers.set(question, known);
  return known;
}

/** Whether the field being resolved selects `name` directly (through fragments too). */
export function selectsField(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, name: string): boolean {
  return rememberedAnswer(info, name, () => selectsFieldNow(info, name));
}

function selectsFieldNow(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, name: string): boolean {
  return info.fieldNodes.some((node) => fieldsIn(info, node.selectionSet).some((f) => f.name.value === name));
}

/** The fields of `set`, fragments spread (each fragment once per walk: a cycle is invalid anyway). */
function fieldsIn(info: Pick<GraphQLResolveInfo, 'fragments'>, set: SelectionSetNode | undefined, seen = new Set<string>()): FieldNode[] {
  return (set?.selections ?? []).flatMap((s): FieldNode[] => {
    if (s.kind === Kind.FIELD) return [s];
    if (s.kind === Kind.INLINE_FRAGMENT) return fieldsIn(info, s.selectionSet, seen);
    if (seen.has(s.name.value)) return [];
    seen.add(s.name.value);
    return fieldsIn(info, info.fragments[s.name.value]?.selectionSet, seen);
  });
}

/**
 * The columns the connection being resolved reads of its nodes
 * (`edges { node }`, through fragments too), given what each field reads
 * (`fieldColumns`); undefined when it shows a field not named there, or a
 * selection it cannot follow: the page reads every column.
 */
function nodeColumns(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, fieldColumns: AnyFieldColumns): readonly string[] | undefined {
  return rememberedAnswer(info, fieldColumns, () => nodeColumnsNow(info, fieldColumns));
}

function nodeColumnsNow(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, fieldColumns: AnyFieldColumns): readonly string[] | undefined {
  const columns = new Set<string>();
  const fieldsOf = (set: SelectionSetNode | undefined) => fieldsIn(info, set);
  const nodeFieldRead = (f: FieldNode) => {
    if (f.name.value === '__typename') return true;
    if (!Object.hasOwn(fieldColumns, f.name.value)) return false;
    for (const column of fieldColumns[f.name.value]!) columns.add(column);
    return true;
  };
  const edgeFieldRead = (f: FieldNode) => (f.name.value === 'node' ? fieldsOf(f.selectionSet).every(nodeFieldRead) : f.name.value === 'cursor' || f.name.value === '__typename');
  const known = info.fieldNodes.every((connection) =>
    fieldsOf(connection.selectionSet).every((f) => {
      if (f.name.value === 'edges') return fieldsOf(f.selectionSet).every(edgeFieldRead);
      return f.name.value === 'pageInfo' || f.name.value === 'totalCount' || f.name.value === '__typename';
    }),
  );
  return known ? [...columns].sort() : undefined;
}

/**
 * A list's page arguments, and what its selection tells the page: whether
 * totalCount is asked for, and, given what each node field reads
 * (`fieldColumns`), which columns the nodes need.
 */
export function listPageArgs(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, args: PageArgs, fieldColumns?: AnyFieldColumns): PageArgs {
  return {
    first: args.first,
    last: args.last,
    after: args.after,
    before: args.before,
    withTotalCount: selectsField(info, 'totalCount'),
    columns: fieldColumns && nodeColumns(info, fieldColumns),
  };
}

/**
 * A connection under a parent (workspace.mappings …): one batched statement
 * for the pages of every parent in the request with the same arguments, and
 * one for their counts, only if asked for: a first page asked with totalCount
 * is counted by the pages' statement itself (see fetchPagesByParent).
 */
export async function nestedConnection<T extends { id: string }, F>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  relation: string,
  parentId: string,
  filter: F,
  args: PageArgs,
  pages: (scope: RequestScope, ids: readonly string[], filter: F, args: PageArgs) => Promise<Map<string, Page<T>>>,
  counts: (scope: RequestScope, ids: readonly string[], filter: F) => Promise<Map<string, number>>,
  fieldColumns?: FieldColumns<T>,
): Promise<ConnectionResult<T>> {
  const scope = scopeOf(ctx);
  const pageArgs = listPageArgs(info, args, fieldColumns);
  const page = await ctx.loaders
    .forField<string, Page<T>>(info.fieldNodes, relation, [filter, pageArgs], async (ids) => {
      const byParent = await pages(scope, ids, filter, pageArgs);
      return ids.map((id) => byParent.get(id)!);
    })
    .load(parentId);
  const counter = ctx.loaders.forField<string, number>(info.fieldNodes, `${relation}.count`, filter, async (ids) => {
    const byParent = await counts(scope, ids, filter);
    return ids.map((id) => byParent.get(id) ?? 0);
  });
  if (page.totalCount !== undefined) counter.prime(parentId, page.totalCount);
  return toConnection(page, () => counter.load(parentId));
}
