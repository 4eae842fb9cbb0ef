import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { GraphQLContext } from './context.js';

/**
 * Limits of what one request may send as input, free-form JSON included
 * (workspace `settings.extra`, a generic decorator's `config` …): nesting
 * counted from the variable or argument, values counted over the request.
 */
export const INPUT_LIMITS = { depth: 32, values: 10_000 } as const;

type Path = (string | number)[];

/** A refused input: VALIDATION (HTTP 400) with where it is, before anything runs. */
function refuse(message: string, path: Path, nodes?: ASTNode): GraphQLError {
  const where = path.length ? `${path.join('.')}: ` : '';
  return new GraphQLError(`${where}${message}`, { nodes, extensions: { code: 'VALIDATION', path, http: { status: 400 } } });
}

/**
 * Text PostgreSQL can store: well-formed Unicode (no lone UTF-16 surrogate,
 * which JSON allows as "\ud800") and no NUL, which neither text nor jsonb accept.
 */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\0');
}

const TEXT_MESSAGE = 'text must be well-formed Unicode without NUL characters';

/**
 * Checks one variable's value: every string (object keys too) storable, at
 * most INPUT_LIMITS.depth levels deep. The walk stops at the limit, so a
 * 50,000-level body cannot overflow the stack here or later in JSON.stringify.
 */
function checkValue(value: unknown, path: Path, budget: { values: number }): void {
  if (--budget.values < 0) throw refuse(`the request has more than ${INPUT_LIMITS.values} input values`, path);
  if (typeof value === 'string') {
    if (!isStorableText(value)) throw refuse(TEXT_MESSAGE, path);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (path.length > INPUT_LIMITS.depth) throw refuse(`input is nested more than ${INPUT_LIMITS.depth} levels deep`, path);
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkValue(item, [...path, i], budget));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isStorableText(key)) throw refuse(`a key's ${TEXT_MESSAGE}`, path);
    checkValue(item, [...path, key], budget);
  }
}

/** The argument path of a literal inside the document, e.g. ['input', 'settings', 'extra', 'a']. */
function literalPath(ancestors: readonly (ASTNode | readonly ASTNode[])[], index: number | string | undefined, parent: unknown): Path {
  const path: Path = [];
  for (const a of [...ancestors, parent as ASTNode]) {
    if (Array.isArray(a)) continue;
    const node = a as ASTNode;
    if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) path.push(node.name.value);
  }
  if (Array.isArray(parent) && typeof index === 'number') path.push(index);
  return path;
}

/** Checks the document's string literals (arguments and variable defaults) and their nesting. */
function checkLiterals(document: DocumentNode): void {
  let depth = 0;
  const nest = {
    enter(node: ASTNode) {
      if (++depth > INPUT_LIMITS.depth) throw refuse(`input is nested more than ${INPUT_LIMITS.depth} levels deep`, [], node);
    },
    leave() {
      depth--;
    },
  };
  visit(document, {
    ObjectValue: nest,
    ListValue: nest,
    StringValue(node, key, parent, _path, ancestors) {
      if (!isStorableText(node.value)) throw refuse(TEXT_MESSAGE, literalPath(ancestors, key as number | string | undefined, parent), node);
    },
  });
}

/**
 * Input that could never be stored is refused at the edge, for every field
 * alike: the variables and the document's literals are checked once per
 * request, before execution.
 */
export function inputGuardPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          checkLiterals(document);
          const budget = { values: INPUT_LIMITS.values };
          for (const [name, value] of Object.entries(request.variables ?? {})) checkValue(value, [name], budget);
        },
      };
    },
  };
}
