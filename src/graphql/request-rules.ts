import { GraphQLError, Lexer, parse, Source, TokenKind, visit, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * Refuses an operation whose type the schema does not define (today:
 * `subscription`) at validation, as GRAPHQL_VALIDATION_FAILED. graphql-js 16
 * only notices at execution and throws a code-less error there (graphql 17
 * ships this rule as KnownOperationTypesRule).
 */
export const knownOperationTypesRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`This server does not support ${node.operation} operations`, { nodes: node }));
    }
  },
});

/**
 * Over HTTP: refuses a subscription at validation (GRAPHQL_VALIDATION_FAILED),
 * pointing to the WebSocket endpoint that serves them.
 */
export const noSubscriptionsOverHttpRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === 'subscription' && context.getSchema().getSubscriptionType()) {
      context.reportError(new GraphQLError('Subscriptions are served over WebSocket (graphql-ws protocol) on this same path, not over HTTP', { nodes: node }));
    }
  },
});

/**
 * Whether a document has at most `max` tokens (comments not counted, as in
 * graphql-js' maxTokens). Lexing stops past the budget, so a refusal costs
 * little; a lexing error is left for the parser to report.
 */
export function withinTokenBudget(query: string, max: number): boolean {
  const lexer = new Lexer(new Source(query));
  try {
    for (let n = 0; n <= max; n++) if (lexer.advance().kind === TokenKind.EOF) return true;
  } catch {
    return true;
  }
  return false;
}

/**
 * The number of selections (fields, fragment spreads, inline fragments) a
 * document makes, or null when it does not parse (the parser's own error is
 * then reported as usual). Checked before validation: graphql-js' rule that
 * overlapping fields can merge compares same-named selections pairwise, so a
 * few thousand copies of `me { id }` within the token limit would cost the
 * event loop most of a second.
 */
export function selectionCount(query: string, maxTokens: number): number | null {
  let document;
  try {
    document = parse(query, { noLocation: true, maxTokens });
  } catch {
    return null;
  }
  let n = 0;
  const count = () => void n++;
  visit(document, { Field: count, FragmentSpread: count, InlineFragment: count });
  return n;
}

/**
 * `selectionCount` remembered per document text. The app sends the same few
 * documents again and again; parsing and walking one on every request was
 * about a tenth of a small query's CPU (bench/README.md). Bounded by the total
 * length of the documents kept, so unique documents only evict older ones.
 */
export function rememberedSelectionCount(maxTokens: number, maxChars = 4_000_000): (query: string) => number | null {
  // -1 stands for "does not parse": the cache holds no nulls.
  const counts = new LRUCache<string, number>({ maxSize: maxChars, sizeCalculation: (_n, query) => Math.max(1, query.length) });
  return (query) => {
    let n = counts.get(query);
    if (n === undefined) {
      n = selectionCount(query, maxTokens) ?? -1;
      counts.set(query, n);
    }
    return n === -1 ? null : n;
  };
}
