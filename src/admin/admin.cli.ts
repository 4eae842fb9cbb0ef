import { parseArgs } from 'node:util';
import { runCommand } from '../cli.js';
import { generateKeyPairJwk } from '../auth/jwt.js';
import { exportOrgCommand, importOrgCommand, PASSPHRASE_ENV } from '../backup/backup.commands.js';
import { systemScope } from '../auth/scope.js';
import { loadConfig } from '../config.js';
import { loadKeyring } from '../crypto/keyring.js';
import { openSystemDb } from '../db/system.js';
import { createLogger } from '../logger.js';
import * as organizations from '../organizations/organization.manager.js';
import { createServices } from '../services.js';
import { rotateKeys } from './rotate-keys.js';

const USAGE = `Usage: npm run admin -- <command> [options]
  create-org --name "Acme Corp" --slug acme-corp [--owner-email ada@acme.com [--owner-name "Ada"]]
                 with an owner: prints an invitation token; the owner sets a password with acceptInvitation
  list-orgs
  delete-org --slug acme-corp
  rotate-keys    re-encrypt stored credentials and MFA secrets under the keyring's current key
  generate-jwt-key --alg ES256|RS256 --kid 2026-11   print a private JWK for JWT_KEYS_FILE
  export-org --slug acme --out acme.dlx [--encrypt]   one organization to a file (passphrase from ${PASSPHRASE_ENV} or the terminal)
  import-org --in acme.dlx [--slug acme-restored]     recreate it from such a file, in one transaction
  explain --org acme --operation file.graphql [--variables '{…}'] [--json] [--force-production]
                 run a query as the organization's owner and print each SQL statement with its EXPLAIN (ANALYZE, BUFFERS)`;

const OPTIONS = {
  name: { type: 'string' },
  slug: { type: 'string' },
  'owner-email': { type: 'string' },
  'owner-name': { type: 'string' },
  alg: { type: 'string' },
  kid: { type: 'string' },
  out: { type: 'string' },
  in: { type: 'string' },
  encrypt: { type: 'boolean' },
  org: { type: 'string' },
  operation: { type: 'string' },
  variables: { type: 'string' },
  json: { type: 'boolean' },
  'force-production': { type: 'boolean' },
  'large-table-rows': { type: 'string' },
} as const;
const COMMANDS = ['create-org', 'list-orgs', 'delete-org', 'rotate-keys', 'export-org', 'import-org', 'explain'];

/** Exit code 0 done, 1 failed (one line on stderr, from runCommand), 2 usage. */
async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true });

  if (command === 'generate-jwt-key') {
    const alg = values.alg === 'RS256' ? 'RS256' : 'ES256';
    console.log(JSON.stringify(await generateKeyPairJwk(alg, values.kid ?? new Date().toISOString().slice(0, 10))));
    return 0;
  }
  if (!COMMANDS.includes(command ?? '')) {
    console.error(USAGE);
    return 2;
  }

  const config = loadConfig();
  // Refused before anything connects.
  if (command === 'explain') (await import('../operations/explain.js')).assertExplainAllowed(config, values['force-production']);
  // Output goes to stdout; the log to stderr.
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);
  const system = await openSystemDb(config, logger, { migrate: true });

  // Signing keys and the keyring are loaded only by the commands that use them.
  const services = () => createServices(config, logger, system);
  const scope = systemScope({ system }, 'admin-cli');

  try {
    switch (command) {
      case 'create-org': {
        const input = { name: values.name ?? '', slug: values.slug ?? '' };
        const ownerEmail = values['owner-email'];
        const { organization: org, owner } = ownerEmail
          ? await organizations.createOrganizationWithOwner(scope, { ...input, owner: { email: ownerEmail, displayName: values['owner-name'] ?? null } })
          : { organization: await organizations.createOrganization(scope, input), owner: null };
        const invitationToken = owner ? await (await services()).tokens.signInvitation({ sub: owner.id, org: org.id }) : undefined;
        console.log(JSON.stringify({ id: org.id, name: org.name, slug: org.slug, schema: org.schema_name, ownerEmail: owner?.email ?? null, invitationToken }));
        break;
      }
      case 'list-orgs':
        for (const org of await organizations.listOrganizations(scope)) {
          console.log(`${org.slug}\t${org.name}\t${org.id}\t${org.created_at.toISOString()}`);
        }
        break;
      case 'delete-org': {
        const org = await organizations.findOrganizationBySlug(scope, values.slug ?? '');
        await organizations.deleteOrganization(scope, org.id);
        console.log(`deleted ${org.slug}`);
        break;
      }
      case 'rotate-keys': {
        const { keyring } = await services();
        const done = await rotateKeys(systemScope({ system, keyring }, 'admin-cli'));
        console.log(JSON.stringify({ currentKey: keyring.currentId, ...done }));
        break;
      }
      case 'export-org':
        await exportOrgCommand(system, values);
        break;
      case 'import-org':
        await importOrgCommand(system, await loadKeyring(config, logger), values);
        break;
      // Loaded only when used: explain builds the whole GraphQL schema, which
      // would otherwise add most of a second to every other command's start.
      case 'explain':
        await (await import('../operations/explain.command.js')).explainCommand({ config, logger, system }, values);
        break;
    }
    return 0;
  } finally {
    await system.close();
  }
}

await runCommand(main);
