import { isDeepStrictEqual } from 'node:util';
import type { MappingVersionRow } from '../db/tables/mapping-versions.table.js';
import type { MappingStatus } from '../db/tables/mappings.table.js';
import {
  toCteDefinitions,
  toDecorators,
  toFieldMappings,
  type CteDefinition,
  type Decorator,
  type FieldMapping,
} from './mapping-shapes.js';

/**
 * Two stored states of a mapping compared field by field. Field mappings are
 * matched by target field, CTEs by name (ignoring case, as their uniqueness
 * rule does), decorators by position (they apply in order and have no key).
 */

export type MappingState = Pick<MappingVersionRow, 'target_table' | 'source_table' | 'field_mappings' | 'decorators' | 'cte_definitions' | 'status'>;

export interface ValueChange<T> {
  before: T;
  after: T;
}

export interface ListDiff<T, C> {
  added: T[];
  removed: T[];
  changed: C[];
}

export interface MappingDiff {
  fromVersion: number;
  toVersion: number;
  targetTable: ValueChange<string> | null;
  sourceTable: ValueChange<string> | null;
  status: ValueChange<MappingStatus> | null;
  fieldMappings: ListDiff<FieldMapping, { targetField: string; before: FieldMapping; after: FieldMapping }>;
  decorators: ListDiff<{ position: number; decorator: Decorator }, { position: number; before: Decorator; after: Decorator }>;
  cteDefinitions: ListDiff<CteDefinition, { name: string; before: CteDefinition; after: CteDefinition }> & { orderChanged: boolean };
  /** False when the two states are the same in every field. */
  changed: boolean;
}

const change = <T>(before: T, after: T): ValueChange<T> | null => (before === after ? null : { before, after });

function byKey<T>(before: T[], after: T[], key: (item: T) => string) {
  const from = new Map(before.map((item) => [key(item), item]));
  const to = new Map(after.map((item) => [key(item), item]));
  return {
    added: after.filter((item) => !from.has(key(item))),
    removed: before.filter((item) => !to.has(key(item))),
    changed: after.flatMap((item) => {
      const old = from.get(key(item));
      return old !== undefined && !isDeepStrictEqual(old, item) ? [{ before: old, after: item }] : [];
    }),
  };
}

export function diffMappingStates(fromVersion: number, from: MappingState, toVersion: number, to: MappingState): MappingDiff {
  const fields = byKey(toFieldMappings(from.field_mappings), toFieldMappings(to.field_mappings), (f) => f.targetField);
  const ctesBefore = toCteDefinitions(from.cte_definitions);
  const ctesAfter = toCteDefinitions(to.cte_definitions);
  const cteKey = (c: CteDefinition) => c.name.toLowerCase();
  const ctes = byKey(ctesBefore, ctesAfter, cteKey);
  const kept = (list: CteDefinition[], other: CteDefinition[]) => list.map(cteKey).filter((k) => other.some((c) => cteKey(c) === k));

  const decoratorsBefore = toDecorators(from.decorators);
  const decoratorsAfter = toDecorators(to.decorators);
  const decorators: MappingDiff['decorators'] = {
    added: decoratorsAfter.slice(decoratorsBefore.length).map((decorator, i) => ({ position: decoratorsBefore.length + i, decorator })),
    removed: decoratorsBefore.slice(decoratorsAfter.length).map((decorator, i) => ({ position: decoratorsAfter.length + i, decorator })),
    changed: decoratorsAfter
      .slice(0, decoratorsBefore.length)
      .flatMap((after, position) => (isDeepStrictEqual(decoratorsBefore[position], after) ? [] : [{ position, before: decoratorsBefore[position]!, after }])),
  };

  const diff: Omit<MappingDiff, 'changed'> = {
    fromVersion,
    toVersion,
    targetTable: change(from.target_table, to.target_table),
    sourceTable: change(from.source_table, to.source_table),
    status: change(from.status, to.status),
    fieldMappings: { ...fields, changed: fields.changed.map((c) => ({ targetField: c.after.targetField, ...c })) },
    decorators,
    cteDefinitions: {
      ...ctes,
      changed: ctes.changed.map((c) => ({ name: c.after.name, ...c })),
      orderChanged: !isDeepStrictEqual(kept(ctesBefore, ctesAfter), kept(ctesAfter, ctesBefore)),
    },
  };
  const lists = [diff.fieldMappings, diff.decorators, diff.cteDefinitions];
  const changed =
    diff.targetTable !== null ||
    diff.sourceTable !== null ||
    diff.status !== null ||
    diff.cteDefinitions.orderChanged ||
    lists.some((l) => l.added.length + l.removed.length + l.changed.length > 0);
  return { ...diff, changed };
}
