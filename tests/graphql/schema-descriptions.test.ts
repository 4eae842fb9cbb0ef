import { ESLint } from 'eslint';
import { isEnumType, isInputObjectType, isInterfaceType, isIntrospectionType, isObjectType, type GraphQLNamedType } from 'graphql';
import { printSchemaSdl, schema } from '../../src/graphql/schema.js';

/** Every schema member without a description, as Type, Type.field, Type.field(arg) or Enum.VALUE. */
function undescribed(): string[] {
  const missing: string[] = [];
  const need = (description: string | null | undefined, where: string) => {
    if (!description?.trim()) missing.push(where);
  };
  for (const type of Object.values(schema.getTypeMap()) as GraphQLNamedType[]) {
    if (isIntrospectionType(type)) continue;
    need(type.description, type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        need(field.description, `${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) need(arg.description, `${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isEnumType(type)) for (const value of type.getValues()) need(value.description, `${type.name}.${value.name}`);
  }
  return missing;
}

describe('the schema documents itself', () => {
  it('describes every type, field, argument, input field and enum value', () => {
    expect(undescribed()).toEqual([]);
  });

  // The CI check is `npm run lint` (graphql-eslint require-description over schema.graphql).
  it('fails lint when a description is removed, and passes as printed', async () => {
    const eslint = new ESLint();
    const sdl = `${printSchemaSdl()}\n`;
    const [clean] = await eslint.lintText(sdl, { filePath: 'schema.graphql' });
    expect(clean!.messages).toEqual([]);

    const stripped = sdl.replace('"""The caller\'s organization. Any role."""\n', '');
    expect(stripped).not.toBe(sdl);
    const [broken] = await eslint.lintText(stripped, { filePath: 'schema.graphql' });
    expect(broken!.messages.map((m) => [m.ruleId, m.message])).toEqual([
      ['@graphql-eslint/require-description', 'Description is required for field "organization" in type "Query"'],
    ]);
  });
});
