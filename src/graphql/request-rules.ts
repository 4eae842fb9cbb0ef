import { GraphQLError, type ValidationRule } from 'graphql';

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
