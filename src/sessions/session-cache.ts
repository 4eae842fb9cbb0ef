import { LRUCache } from 'lru-cache';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import type { UserRole } from '../db/tables/users.table.js';

/** What the session check finds: the session's user and the organization the token names. */
export interface SessionFound {
  user: { id: string; role: UserRole };
  organization: OrganizationRow;
}

/**
 * The process's listener on `datalinx_credentials` (src/live/job-event-hub.ts):
 * it tells its watchers an organization's id when a session, user, key or the
 * organization itself changed, and counts how many times it started listening,
 * so a notice missed while it was reconnecting cannot leave a stale entry.
 */
export interface CredentialNotices {
  readonly listening: boolean;
  readonly listens: number;
  watchCredentials(watcher: (organizationId: string | null) => void): () => void;
}

interface Entry {
  found: SessionFound;
  /** The listener's `listens` and the organization's generation when the check ran. */
  listens: number;
  generation: number;
}

/** A check in progress: the entry it may store, if nothing changed meanwhile. */
export interface SessionCheck {
  key: string;
  organizationId: string;
  listens: number;
  generation: number;
}

/**
 * Remembers, for `ttlMs` at most, that an access token's session is open, so
 * a client's next requests need no statement to authenticate. An entry is
 * used only while the credentials listener is listening and has not
 * reconnected since, and only until a notice names its organization: a
 * revoked session, a changed role, a removed user or an edited organization
 * end it on every API process as soon as their transaction commits. The TTL
 * bounds how long a listener connection that died without anyone noticing
 * could keep an entry alive. Mutations run by this process also end their
 * organization's entries (src/graphql/session-cache.plugin.ts), so a client
 * that logs out is refused at once, without waiting for the notice.
 */
export class SessionCache {
  private readonly entries: LRUCache<string, Entry>;
  /** Bumped by every notice of an organization; entries stored under an older one are not used. */
  private readonly generations = new Map<string, number>();
  /** Bumped when every organization's entries end (a notice without an organization). */
  private epoch = 0;
  private readonly unwatch: () => void;
  hits = 0;
  misses = 0;

  constructor(
    private readonly notices: CredentialNotices,
    { ttlMs, max }: { ttlMs: number; max: number },
  ) {
    this.entries = new LRUCache({ max, ttl: ttlMs, ttlAutopurge: false });
    this.unwatch = notices.watchCredentials((organizationId) => this.invalidate(organizationId));
  }

  /** The remembered session, or a check to run and then `store`. */
  lookup(userId: string, familyId: string, organizationId: string): SessionFound | SessionCheck {
    const key = `${userId}\u0000${familyId}\u0000${organizationId}`;
    const generation = this.generationOf(organizationId);
    const entry = this.notices.listening ? this.entries.get(key) : undefined;
    if (entry && entry.listens === this.notices.listens && entry.generation === generation) {
      this.hits++;
      // A request's own copy of the row: GraphQL marks the objects it resolves (Pothos brands a node with its type).
      return { user: entry.found.user, organization: { ...entry.found.organization } };
    }
    this.misses++;
    return { key, organizationId, listens: this.notices.listens, generation };
  }

  /** Remembers what a check found, unless a notice (or a reconnect) came while it ran. */
  store(check: SessionCheck, found: SessionFound): void {
    if (!this.notices.listening || this.notices.listens !== check.listens) return;
    if (this.generationOf(check.organizationId) !== check.generation) return;
    // Shared by the requests that find it (each gets a copy of the row): frozen, so none can change what the next one reads.
    const organization = Object.freeze({ ...found.organization, settings: Object.freeze({ ...found.organization.settings }) });
    this.entries.set(check.key, { found: Object.freeze({ user: Object.freeze({ ...found.user }), organization }), listens: check.listens, generation: check.generation });
  }

  /** Ends the entries of one organization, or of all (`null`). */
  invalidate(organizationId: string | null): void {
    if (organizationId === null) {
      this.epoch++;
      this.generations.clear();
      this.entries.clear();
      return;
    }
    this.generations.set(organizationId, (this.generations.get(organizationId) ?? 0) + 1);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.unwatch();
    this.entries.clear();
  }

  /** Generations restart at 0 after `invalidate(null)`; the epoch keeps them apart. */
  private generationOf(organizationId: string): number {
    return this.epoch * 2 ** 32 + (this.generations.get(organizationId) ?? 0);
  }
}

export function isSessionCheck(value: SessionFound | SessionCheck): value is SessionCheck {
  return 'key' in value;
}
