/**
 * GraphQL enum values for a stored value set: `draft` is exposed as DRAFT and
 * resolves back to 'draft', so the database keeps its lowercase values.
 */
export function upperCaseEnum<T extends string>(values: readonly T[]): Record<Uppercase<T>, { value: T }> {
  return Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) as Record<Uppercase<T>, { value: T }>;
}
