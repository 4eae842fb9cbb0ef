import type { ApolloServerPlugin } from '@apollo/server';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { ExecutionGate } from '../execution-gate.js';
import type { GraphQLContext } from './context.js';
import { serialiseInSlices } from './response-text.js';
import { schema } from './schema.js';

/**
 * From this cost on, a response is serialised a turn of the event loop after
 * its execution completed, and in slices (response-text.ts): the 50×20×10
 * dashboard's 1.5 MB of JSON takes milliseconds of its own, and in the same
 * stretch as the completion it held the loop (other requests, timers,
 * sockets) for the sum of both.
 */
const SERIALISE_LATER_COST = 10_000;

/**
 * The operation that runs, with the document's fragments: complexityFromQuery
 * measures a document's first operation, which need not be the one
 * `operationName` chose.
 */
const alone = new WeakMap<OperationDefinitionNode, DocumentNode>();
function operationAlone(document: DocumentNode, operation: OperationDefinitionNode | undefined): DocumentNode {
  if (!operation) return document;
  let found = alone.get(operation);
  if (!found) {
    found = { kind: Kind.DOCUMENT, definitions: [operation, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] };
    alone.set(operation, found);
  }
  return found;
}

/** As the complexity plugin judges: over a limit when the limit is a number below the measure. */
function withinLimits(measured: { complexity: number; depth: number; breadth: number }, limits: GraphQLContext['limits']): boolean {
  return !(limits.depth < measured.depth) && !(limits.complexity < measured.complexity) && !(typeof limits.breadth === 'number' && limits.breadth < measured.breadth);
}

/** Resolves in a later turn of the event loop (a timer: I/O and other timers run first). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * GRAPHQL_MAX_CONCURRENT_COST: operations execute while the costs of those
 * executing (the complexity model the limits use, README "Query cost") fit in
 * the budget; the next waits its turn. A request's memory grows with its cost
 * (the 50×20×10 dashboard, cost ≈ 43,000, builds a 1.5 MB response), so
 * large reads take turns while small ones keep flowing beside them.
 * Node runs one request's JavaScript at a time: more at once do not answer
 * sooner, they hold more half-built responses for the garbage collector to
 * copy (bench/README.md: the default, 12,000, against 100,000). Checked once the operation is parsed and validated, before any
 * resolver runs; the budget is returned when the response is sent.
 */
export function costGatePlugin(gate: ExecutionGate): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let turn: ReturnType<ExecutionGate['enter']> | null = null;
      let cost = 1;
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          try {
            const measured = complexityFromQuery(operationAlone(document, operation), { schema, ctx: contextValue, variables: request.variables ?? {} });
            cost = measured.complexity;
            // Within every limit: the complexity plugin need not measure the same operation again (builder.ts).
            if (withinLimits(measured, contextValue.limits)) contextValue.limitsChecked = true;
          } catch {
            // Variables that do not fit: execution refuses them (BAD_USER_INPUT) before any resolver runs.
          }
          turn = gate.enter(cost);
          await turn.ready;
          // Timed out (already answered 503) while it waited: do not run it now.
          if (contextValue.dbScope?.abandoned) {
            turn.release();
            throw new GraphQLError('The request took too long', { extensions: { code: 'TIMEOUT' } });
          }
        },
        async willSendResponse({ response }) {
          turn?.release();
          if (cost < SERIALISE_LATER_COST) return;
          if (response.body.kind === 'single' && response.body.singleResult.data) serialiseInSlices(response.body.singleResult.data);
          await nextTurn();
        },
      };
    },
  };
}
