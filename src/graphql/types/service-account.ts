import type { ServiceAccountKeyRow, ServiceAccountRow } from '../../db/tables/service-accounts.table.js';
import * as accounts from '../../service-accounts/service-account.manager.js';
import { builder } from '../builder.js';
import { idColumn } from '../sync-global-id.js';
import { connectionOf } from './refs.js';
import { connectionComplexity, idOf, scopeOf, toConnection } from '../relay.js';
import { directErrors, payloadErrors } from './error.js';
import { RoleEnum } from './user.js';

export const ServiceAccountRef = builder.loadableNodeRef('ServiceAccount', {
  id: { resolve: idColumn<ServiceAccountRow>('id') },
  load: (ids: string[], ctx) => accounts.findServiceAccountsByIds(scopeOf(ctx), ids),
  sort: (a) => a.id,
});

const ServiceAccountKeyRef = builder.objectRef<ServiceAccountKeyRow>('ServiceAccountKey').implement({
  description: 'An API key. Only its prefix is ever shown again after creation.',
  fields: (t) => ({
    id: t.globalID({ description: 'Global ID of the key; pass it to revokeServiceAccountKey.', resolve: (k) => ({ type: 'ServiceAccountKey', id: k.id }) }),
    prefix: t.exposeString('key_prefix', { description: 'The start of the key (dlx_ and 12 hex digits), to tell keys apart. Not a secret.' }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the key was created.' }),
    lastUsedAt: t.expose('last_used_at', { type: 'DateTime', nullable: true, description: 'When a request last authenticated with it; null if never.' }),
    revokedAt: t.expose('revoked_at', { type: 'DateTime', nullable: true, description: 'When it was revoked; null while it works.' }),
  }),
});

ServiceAccountRef.implement({
  description: 'A non-person caller (CI, a scheduler) acting for the organization with a role, by API key. Only admins and owners may see them.',
  authScopes: { admin: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name; unique within the organization.' }),
    role: t.field({ type: RoleEnum, description: 'What it may do (never OWNER).', resolve: (a) => a.role }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When it was created.' }),
    lastUsedAt: t.expose('last_used_at', { type: 'DateTime', nullable: true, description: 'When one of its keys was last used; null if never.' }),
    revokedAt: t.expose('revoked_at', { type: 'DateTime', nullable: true, description: 'When it was revoked (with all its keys); null while active.' }),
    keys: t.loadableList({
      type: ServiceAccountKeyRef,
      description: 'Its API keys, revoked ones included. Batched across accounts.',
      load: (ids: string[], ctx) => accounts.keysByAccount(scopeOf(ctx), ids),
      resolve: (a) => a.id,
    }),
  }),
});

const ServiceAccountConnection = connectionOf(ServiceAccountRef, 'ServiceAccount');

const ApiKeyPayload = builder.objectRef<{ serviceAccount: ServiceAccountRow; apiKey: string }>('ApiKeyPayload').implement({
  description: 'A new API key and the account it belongs to. The key is shown only here.',
  fields: (t) => ({
    serviceAccount: t.field({ type: ServiceAccountRef, description: 'The account the key belongs to.', resolve: (p) => p.serviceAccount }),
    apiKey: t.exposeString('apiKey', {
      description: 'The key (dlx_…): send it as "Authorization: Bearer <apiKey>". Shown this once and stored only hashed; keep it now.',
    }),
  }),
});

const CreateServiceAccountInput = builder.inputType('CreateServiceAccountInput', {
  description: 'A new service account.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name, 1–255 characters after trimming; unique within the organization.' }),
    role: t.field({ type: RoleEnum, required: true, description: 'What it may do: VIEWER, EDITOR or ADMIN (never OWNER).' }),
  }),
});

builder.queryFields((t) => ({
  serviceAccounts: t.connection(
    {
      type: ServiceAccountRef,
      description: "The organization's service accounts, revoked ones included, newest first, at most 100 a page. Admins and owners.",
      authScopes: { admin: true },
      complexity: connectionComplexity,
      resolve: async (_root, args, ctx) => {
        const scope = scopeOf(ctx);
        return toConnection(await accounts.listServiceAccounts(scope, args), () => accounts.countServiceAccounts(scope));
      },
    },
    ServiceAccountConnection,
  ),
}));


builder.mutationFields((t) => ({
  createServiceAccount: t.field({
    type: ApiKeyPayload,
    description:
      'Creates a service account with its first API key. Admins and owners. Errors: ValidationError (name), ConflictError (name taken), ForbiddenError (role OWNER, or the caller is not an admin).',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateServiceAccountInput, required: true, description: 'The new account.' }) },
    errors: directErrors('createServiceAccount'),
    resolve: (_root, { input }, ctx) => accounts.createServiceAccount(scopeOf(ctx), input),
  }),
  createServiceAccountKey: t.field({
    type: ApiKeyPayload,
    description:
      'Adds a further API key (for rotation): revoke the old one once the new one is deployed. Admins and owners. Errors: ValidationError (the account is revoked), NotFoundError, ForbiddenError.',
    authScopes: { admin: true },
    args: { serviceAccountId: t.arg.globalID({ required: true, description: 'Global ID of the service account.' }) },
    errors: directErrors('createServiceAccountKey'),
    resolve: (_root, args, ctx) => accounts.createServiceAccountKey(scopeOf(ctx), idOf(args.serviceAccountId, 'ServiceAccount')),
  }),
  revokeServiceAccountKey: t.field({
    type: ServiceAccountRef,
    description: 'Revokes one API key at once; requests with it are refused from now on. Admins and owners. Errors: NotFoundError, ForbiddenError.',
    authScopes: { admin: true },
    args: { keyId: t.arg.globalID({ required: true, description: 'Global ID of the key (ServiceAccountKey.id).' }) },
    errors: payloadErrors('revokeServiceAccountKey', { name: 'serviceAccount', description: 'The account the key belonged to.' }),
    resolve: async (_root, args, ctx) => (await accounts.revokeServiceAccountKey(scopeOf(ctx), idOf(args.keyId, 'ServiceAccountKey'))).service_account_id,
  }),
  revokeServiceAccount: t.field({
    type: ServiceAccountRef,
    description: 'Revokes the account and all its keys at once. Admins and owners. Errors: NotFoundError, ForbiddenError.',
    authScopes: { admin: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the service account.' }) },
    errors: payloadErrors('revokeServiceAccount', { name: 'serviceAccount', description: 'The revoked account.' }),
    resolve: (_root, args, ctx) => accounts.revokeServiceAccount(scopeOf(ctx), idOf(args.id, 'ServiceAccount')),
  }),
}));
