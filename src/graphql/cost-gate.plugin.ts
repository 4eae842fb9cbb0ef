import type { ApolloServerPlugin } from '@apollo/server';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import { GraphQLError, Kind, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type OperationDefinitionNode } from 'graphql';
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

type Measured = { complexity: number; depth: number; breadth: number };

/**
 * The variables an operation's cost reads: those in the arguments of fields
 * whose complexity is a function of them, only the arguments it names when it
 * says (`reads`: a connection's `first` and `last`, relay.ts
 * connectionComplexity, not its cursors or filters). Depth and breadth
 * depend on the document only, and no complexity function reads the context.
 */
const costVariables = new WeakMap<DocumentNode, readonly string[]>();
export function variablesOfCost(document: DocumentNode): readonly string[] {
  let names = costVariables.get(document);
  if (!names) {
    const found = new Set<string>();
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const complexity: unknown = typeInfo.getFieldDef()?.extensions?.complexity;
          if (typeof complexity !== 'function') return;
          const reads = (complexity as { reads?: readonly string[] }).reads;
          for (const argument of node.arguments ?? []) {
            if (reads && !reads.includes(argument.name.value)) continue;
            visit(argument.value, { Variable: (v) => void found.add(v.name.value) });
          }
        },
      }),
    );
    costVariables.set(document, (names = [...found]));
  }
  return names;
}

/**
 * Costs measured, per document and the values of the variables its cost
 * reads: measuring walks the whole document and coerces its variables again,
 * ≈ 3 % of a small read's CPU (bench/README.md), and the mapping editor's
 * load costs the same whichever mapping it names. A document keeps the
 * costs of its last few variable values.
 */
const measuredCosts = new WeakMap<DocumentNode, Map<string, Measured>>();
const COSTS_PER_DOCUMENT = 32;
/** Page sizes are numbers: a longer key is a value that will not fit anyway, measured each time. */
const LONGEST_KEY = 256;
function measure(document: DocumentNode, variables: Record<string, unknown>, ctx: GraphQLContext): Measured {
  // Absent ([]) and null ([null]) differ: an absent variable takes its default.
  const key = JSON.stringify(variablesOfCost(document).map((name) => (Object.hasOwn(variables, name) ? [variables[name]] : [])));
  let known = measuredCosts.get(document);
  const remembered = known?.get(key);
  if (remembered) return remembered;
  const measured = complexityFromQuery(document, { schema, ctx, variables });
  if (key.length > LONGEST_KEY) return measured;
  if (!known) measuredCosts.set(document, (known = new Map()));
  if (known.size >= COSTS_PER_DOCUMENT) known.clear();
  known.set(key, measured);
  return measured;
}

/** As the complexity plugin judges: over a limit when the limit is a number below the measure. */
function withinLimits(measured: Measured, limits: GraphQLContext['limits']): boolean {
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
            const measured = measure(operationAlone(document, operation), request.variables ?? {}, contextValue);
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
