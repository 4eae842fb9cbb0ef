import { getNamedType, isInterfaceType, isObjectType, isUnionType, type GraphQLNamedType } from 'graphql';
import { schema } from '../../src/graphql/schema.js';

/** The scopes Pothos' scope-auth checks on a field or (for each of its fields) a type. */
const scopesOf = (member: { extensions?: unknown }) => (member.extensions as { pothosOptions?: { authScopes?: unknown } } | null | undefined)?.pothosOptions?.authScopes;

/**
 * The object types whose fields an anonymous request can resolve: from the
 * root fields that need no scope, through fields that need none, stopping at
 * a type whose fields all check a scope (Organization; User, whose scope
 * admits the user a sign-in just created).
 */
function anonymouslyResolvable(): string[] {
  const seen = new Set<string>();
  const visit = (type: GraphQLNamedType) => {
    if (seen.has(type.name) || scopesOf(type)) return;
    seen.add(type.name);
    const possible = isUnionType(type) ? type.getTypes() : isInterfaceType(type) ? schema.getPossibleTypes(type) : [];
    for (const t of possible) visit(t);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) if (!scopesOf(field)) visit(getNamedType(field.type));
    }
  };
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) if (!scopesOf(field)) visit(getNamedType(field.type));
  }
  return [...seen].filter((name) => isObjectType(schema.getType(name))).sort();
}

describe('what a request without credentials can reach', () => {
  // Tenant types (Workspace, Mapping, DataSource, PipelineJob …) check no scope of their own on each
  // field: every way to them passes a field or type that requires a signed-in caller, which this proves.
  it('only the sign-in payloads and error shapes: never an organization, workspace, mapping, data source or job', () => {
    expect(anonymouslyResolvable()).toEqual(
      [
        'AcceptInvitationPayload',
        'ConflictError',
        'ForbiddenError',
        'LoginPayload',
        'MappingProblem',
        'MfaChallenge',
        'NotFoundError',
        'RefreshTokenPayload',
        'Session',
        'SignUpPayload',
        'UnauthenticatedError',
        'ValidationError',
        'VerifyMfaPayload',
      ].sort(),
    );
  });
});
