import { openTotpSecret, sealTotpSecret } from '../auth/mfa.js';
import type { AppServices, PlatformScope } from '../auth/scope.js';
import { resealConnectionConfig, type StoredConnectionConfig } from '../data-sources/connection-config.js';
import { findSealedUnderOtherKey, updateDataSource } from '../data-sources/data-source.dao.js';
import { listOrganizations } from '../organizations/organization.dao.js';
import { Tenant } from '../tenancy/tenant.js';
import { updateUser, usersWithMfaSecrets } from '../users/user.dao.js';
import { resealWarehouse } from '../warehouses/warehouse-config.js';
import { findWarehousesSealedUnderOtherKey, updateWorkspace } from '../workspaces/workspace.dao.js';
import type { Sealed } from '../crypto/keyring.js';

/**
 * Re-encrypts every sealed secret under the keyring's current key: data source
 * and workspace warehouse credentials (one transaction per organization) and
 * TOTP secrets. Safe to
 * run again; what is already current is left alone.
 */
export async function rotateKeys(
  scope: PlatformScope & { services: Pick<AppServices, 'system' | 'keyring'> },
): Promise<{ dataSources: number; warehouses: number; mfaSecrets: number }> {
  const { system: { db }, keyring } = scope.services;
  let dataSources = 0;
  let warehouses = 0;
  for (const org of await listOrganizations(db)) {
    const tenant = new Tenant(db, org);
    const counts = await tenant.transaction(async ({ tenant: t }) => {
      const rows = await findSealedUnderOtherKey(t, keyring.currentId);
      for (const row of rows) {
        const owner = { organizationId: org.id, dataSourceId: row.id };
        await updateDataSource(t, row.id, { connection_config: resealConnectionConfig(keyring, owner, row.connection_config as StoredConnectionConfig) });
      }
      const targets = await findWarehousesSealedUnderOtherKey(t, keyring.currentId);
      for (const ws of targets) await updateWorkspace(t, ws.id, { warehouse: resealWarehouse(keyring, org.id, ws.id, ws.warehouse!) });
      return { sources: rows.length, warehouses: targets.length };
    });
    dataSources += counts.sources;
    warehouses += counts.warehouses;
  }
  const mfaSecrets = await db.transaction().execute(async (trx) => {
    let n = 0;
    const isCurrent = (sealed: string | null) => !sealed || (JSON.parse(sealed) as Sealed).kid === keyring.currentId;
    for (const user of await usersWithMfaSecrets(trx)) {
      if (isCurrent(user.mfa_secret_encrypted) && isCurrent(user.mfa_pending_secret_encrypted)) continue;
      const reseal = (sealed: string | null) => (sealed ? sealTotpSecret(keyring, user.id, openTotpSecret(keyring, user.id, sealed)) : null);
      await updateUser(trx, user.id, {
        mfa_secret_encrypted: reseal(user.mfa_secret_encrypted),
        mfa_pending_secret_encrypted: reseal(user.mfa_pending_secret_encrypted),
      });
      n++;
    }
    return n;
  });
  return { dataSources, warehouses, mfaSecrets };
}
