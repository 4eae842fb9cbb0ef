import { isObjectType } from 'graphql';
import { decodeGlobalId } from '../../src/graphql/relay.js';
import { schema } from '../../src/graphql/schema.js';

const nodeTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === 'Node'));

describe('the id of every Node type', () => {
  it('covers the node types the API serves', () => {
    expect(nodeTypes.map((t) => t.name).sort()).toEqual(['DataSource', 'Mapping', 'Organization', 'PipelineJob', 'ServiceAccount', 'User', 'Workspace']);
  });

  // A listed object's id used to cost a promise and a microtask (the relay plugin's async resolver).
  it.each(nodeTypes.map((t) => [t.name, t] as const))('%s: resolved at once, as the global id of its row', (name, type) => {
    const id = '6f1c8a52-0d5e-4c1b-9a7e-2b3c4d5e6f70';
    const context = { scope: { actor: { kind: 'user', id: 'someone else', organizationId: 'x', role: 'owner' } } };
    const resolved = isObjectType(type) ? type.getFields().id!.resolve!({ id }, {}, context, {} as never) : null;
    expect(typeof resolved).toBe('string');
    expect(decodeGlobalId(resolved as string)).toEqual({ typename: name, id });
  });
});
