import type { Kysely, Transaction } from 'kysely';
import type { ConnectorSettings } from '../connectors/connector-settings.js';
import type { Keyring } from '../crypto/keyring.js';
import type { PlatformDatabase } from '../db/database.js';
import type { MigrationFile } from '../db/migration-files.js';
import type { TenantSnapshot } from '../db/tenant-snapshot.js';
import type { Logger } from '../logger.js';
import type { Tenant } from '../tenancy/tenant.js';
import { SYSTEM_ACTOR, type Actor } from './actor.js';
import type { AccessTokens } from './jwt.js';

/** What a queued pipeline job carries: enough for a worker to find it without polling tenant schemas. */
export interface JobMessage {
  organizationId: string;
  jobId: string;
}

/**
 * The pipeline job queue as managers use it (src/jobs/job-queue.ts implements it
 * over pg-boss): messages are sent and withdrawn inside the caller's transaction.
 */
/** What a schedule's tick carries: the workspace whose schedule came due. */
export interface ScheduleMessage {
  organizationId: string;
  workspaceId: string;
}

export interface JobDispatch {
  enqueue(trx: Transaction<PlatformDatabase>, message: JobMessage): Promise<void>;
  withdraw(trx: Transaction<PlatformDatabase>, jobId: string): Promise<void>;
  /**
   * Settles the delivery `deliveryId` and queues the job again as a new message
   * (a worker handing it back at shutdown): no retry is spent and no backoff waited.
   */
  requeue(trx: Transaction<PlatformDatabase>, message: JobMessage, deliveryId: string): Promise<void>;
  /** Writes (or replaces) the queue scheduler's copy of a workspace's schedule. */
  schedule(trx: Transaction<PlatformDatabase>, message: ScheduleMessage, recurrence: { cron: string; timeZone: string }): Promise<void>;
  /** Removes it (nothing when there is none). */
  unschedule(trx: Transaction<PlatformDatabase>, message: ScheduleMessage): Promise<void>;
  /** Closes the queue's connections (a no-op when it never started). */
  close(): Promise<void>;
}

/** The long-lived services of one process; `src/services.ts` builds them. */
export interface AppServices {
  /** The system database as managers see it (its lifecycle stays with whoever opened it). */
  system: {
    db: Kysely<PlatformDatabase>;
    migrations: readonly MigrationFile[];
    /** New tenant schemas are built from it when present; otherwise the tenant sections are replayed. */
    tenantSnapshot?: TenantSnapshot | null;
  };
  tokens: AccessTokens;
  keyring: Keyring;
  logger: Logger;
  settings: { allowSignup: boolean; refreshTokenTtlDays: number };
  /** Outbound connections: address policy, timeouts, the per-organization attempt limiter. */
  connectors: ConnectorSettings;
  /** The pipeline job queue (started on first use). */
  jobQueue: JobDispatch;
}

/**
 * The first argument of every manager function: the services, who is acting
 * and where the call comes from. Platform work (sign-up, login, the operator's
 * CLI) takes a CallScope; work inside one organization takes a RequestScope.
 */
export interface CallScope {
  services: AppServices;
  /** null for an anonymous caller (sign-up, login, refreshing a token). */
  actor: Actor | null;
  requestId: string | null;
  clientAddress: string | null;
  /** The sign-in session of a user's access token (none for service accounts and the CLI). */
  sessionId?: string;
}

/** A call by a signed-in user or service account (or the system) inside one organization. */
export interface RequestScope extends CallScope {
  actor: Actor;
  tenant: Tenant;
}

/**
 * A CallScope whose work needs only the system database (provisioning and
 * listing organizations), so the operator's CLI can make it without loading
 * signing keys or the keyring. Any CallScope is one.
 */
export type PlatformScope = Omit<CallScope, 'services'> & { services: Pick<AppServices, 'system'> };

/** A call made by the operator (admin CLI, maintenance jobs), outside any request. */
export function systemScope<S extends Pick<AppServices, 'system'>>(services: S, requestId: string) {
  return { services, actor: SYSTEM_ACTOR as Actor, requestId, clientAddress: null };
}
