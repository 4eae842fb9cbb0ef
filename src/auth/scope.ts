import type { Tenant } from '../tenancy/tenant.js';
import type { Actor } from './actor.js';

/** What every manager call knows about the request it serves. */
export interface RequestScope {
  actor: Actor;
  tenant: Tenant;
  requestId: string;
  clientAddress: string | null;
  /** The sign-in session of a user's access token (none for service accounts and the CLI). */
  sessionId?: string;
}
