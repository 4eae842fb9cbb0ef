import type { Kysely, Transaction } from 'kysely';
import type { PlatformDatabase, TenantDb } from '../db/database.js';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import { tenantDb } from './tenancy.js';

/** What a handle needs of its organization; requests carry the whole row. */
export interface TenantOrganization {
  id: string;
  slug: string;
  schema_name: string;
}

export interface TenantTransaction {
  /** Platform tables (audit log, users) in the same transaction. */
  platform: Transaction<PlatformDatabase>;
  /** This organization's tables in the same transaction. */
  tenant: TenantDb;
}

/**
 * An organization's handle: its schema-scoped tables, and transactions that
 * span its tables and the platform's. Built once per request.
 */
export class Tenant<O extends TenantOrganization = OrganizationRow> {
  readonly db: TenantDb;

  constructor(
    readonly root: Kysely<PlatformDatabase>,
    readonly organization: O,
  ) {
    this.db = tenantDb(root, organization.schema_name);
  }

  get organizationId(): string {
    return this.organization.id;
  }

  transaction<T>(work: (trx: TenantTransaction) => Promise<T>): Promise<T> {
    return this.root
      .transaction()
      .execute((platform) => work({ platform, tenant: tenantDb(platform, this.organization.schema_name) }));
  }
}
