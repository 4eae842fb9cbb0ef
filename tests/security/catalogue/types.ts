import { type Caller, localId, type Result, type World } from '../../support/index.js';

/** The shape of a catalogue entry (see ../mutation-catalogue.ts) and the helpers entries share. */

/** public: anyone; self: any signed-in user, about themselves; otherwise the lowest role allowed. */
export type Access = 'public' | 'self' | 'editor' | 'admin' | 'owner';

export interface Arranged {
  variables: Record<string, unknown>;
  /** The local id of the entity acted on, when it exists before the call. */
  subject?: string;
}

export interface AuditSpec {
  action: string;
  entityType: string;
  entity: (ctx: { result: Result; arranged: Arranged; caller: Caller; world: World }) => string | Promise<string>;
  /** Whom the entry names: the caller, the entity itself (sign-ins) or the system. */
  actor: 'caller' | 'subject' | 'system';
  /** The organization the entry belongs to: the caller's unless given; null for none. */
  organization?: AuditSpec['entity'] | null;
}

export interface MutationCase {
  access: Access;
  /** Deletes or hands over the organization: each call gets an organization of its own. */
  ownOrganization?: true;
  /** The selection on the success type. */
  select: string;
  /** How many input shapes `arrange` knows (e.g. one per connection type). */
  variants?: number;
  arrange(world: World, caller: Caller, variant: number): Promise<Arranged>;
  audit: AuditSpec[];
}

type Path = string[];
const at = (r: unknown, path: Path): unknown => path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], r);
export const fromResult = (...path: Path) => ({ result }: { result: Result }) => localId(at(result, path) as string);
export const fromSubject = ({ arranged }: { arranged: Arranged }) => arranged.subject!;
export const fromCaller = ({ caller }: { caller: Caller }) => caller.actorId;
export const orgId = ({ world }: { world: World }) => world.org.id;
export const audit = (action: string, entityType: string, entity: AuditSpec['entity'], actor: AuditSpec['actor'] = 'caller', organization?: AuditSpec['organization']): AuditSpec =>
  ({ action, entityType, entity, actor, ...(organization !== undefined ? { organization } : {}) });

export const editor = (w: World) => w.callers.editor.token;
export const admin = (w: World) => w.callers.admin.token;
