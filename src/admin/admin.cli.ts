import { parseArgs } from 'node:util';
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { loadConfig } from '../config.js';
import { DomainError } from '../errors.js';
import { createLogger } from '../logger.js';
import { openSystemDb } from '../db/system.js';
import * as organizations from '../organizations/organization.manager.js';

const USAGE = `Usage: npm run admin -- <command> [options]
  create-org --name "Acme Corp" --slug acme-corp
  list-orgs
  delete-org --slug acme-corp`;

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: { name: { type: 'string' }, slug: { type: 'string' } },
  strict: true,
});

const config = loadConfig();
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
const system = await openSystemDb(config, logger, { migrate: true });
const source = { actor: SYSTEM_ACTOR, requestId: 'admin-cli', clientAddress: null };

try {
  switch (command) {
    case 'create-org': {
      const org = await organizations.createOrganization(system, { name: values.name ?? '', slug: values.slug ?? '' }, source);
      console.log(JSON.stringify({ id: org.id, name: org.name, slug: org.slug, schema: org.schema_name }));
      break;
    }
    case 'list-orgs':
      for (const org of await organizations.listOrganizations(system)) {
        console.log(`${org.slug}\t${org.name}\t${org.id}\t${org.created_at.toISOString()}`);
      }
      break;
    case 'delete-org': {
      const org = await organizations.findOrganizationBySlug(system, values.slug ?? '');
      await organizations.deleteOrganization(system, org.id, SYSTEM_ACTOR);
      console.log(`deleted ${org.slug}`);
      break;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
} catch (err) {
  if (!(err instanceof DomainError)) throw err;
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
} finally {
  await system.close();
}
