import type { PlatformDb } from '../db/database.js';
import type { Actor } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { insertAuditEntry } from './audit.dao.js';

const SECRET_KEY = /pass(word)?|secret|token|private_?key|api_?key|credential|hash/i;

/** Replaces secret values (at any depth) so they never land in the audit log. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v != null ? '[redacted]' : redactSecrets(v)]),
    );
  }
  return value;
}

/** The fields that differ, as { field: { before, after } }, secrets redacted. */
export function changedFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): Record<string, { before: unknown; after: unknown }> {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const key of keys) {
    if (key === 'updated_at') continue;
    const b = before?.[key] ?? null;
    const a = after?.[key] ?? null;
    if (JSON.stringify(b) !== JSON.stringify(a)) {
      changes[key] = SECRET_KEY.test(key)
        ? { before: b == null ? null : '[redacted]', after: a == null ? null : '[redacted]' }
        : { before: redactSecrets(b), after: redactSecrets(a) };
    }
  }
  return changes;
}

export interface AuditEvent {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditSource {
  actor: Actor;
  organizationId: string | null;
  requestId?: string | null;
  clientAddress?: string | null;
}

/** Writes one audit entry; call it with the mutation's own transaction. */
export async function recordAudit(db: PlatformDb, source: AuditSource, event: AuditEvent): Promise<void> {
  const { actor } = source;
  await insertAuditEntry(db, {
    organization_id: source.organizationId,
    actor_type: actor.kind,
    actor_id: actor.kind === 'system' ? null : actor.id,
    action: event.action,
    entity_type: event.entityType,
    entity_id: event.entityId,
    changes: changedFields(event.before ?? null, event.after ?? null),
    request_id: source.requestId ?? null,
    client_address: source.clientAddress ?? null,
  });
}

/** Where the audit entries of a request come from. */
export function auditSource(scope: RequestScope): AuditSource {
  return {
    actor: scope.actor,
    organizationId: scope.tenant.organizationId,
    requestId: scope.requestId,
    clientAddress: scope.clientAddress,
  };
}
