/**
 * GraphQL enum values for a stored value set: `draft` is exposed as DRAFT and
 * resolves back to 'draft', so the database keeps its lowercase values. Every
 * value needs a description, so a value added to the set cannot go undocumented.
 */
export function upperCaseEnum<T extends string>(
  values: readonly T[],
  descriptions: Record<T, string>,
): Record<Uppercase<T>, { value: T; description: string }> {
  return Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v, description: descriptions[v] }])) as Record<
    Uppercase<T>,
    { value: T; description: string }
  >;
}
