import DataLoader from 'dataloader';
import type { FastifyBaseLogger } from 'fastify';
import type { AppServices, RequestScope } from '../auth/scope.js';
import type { DbWorkScope } from '../db/work-scope.js';
import type { JobEventHub } from '../live/job-event-hub.js';

/**
 * Per-request loaders for relations that are not node lookups (nested
 * connections, counts). Keyed by relation and arguments, so one request sends
 * one statement per relation and argument set, however many parents it has.
 */
export class RequestLoaders {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  get<K, V>(name: string, args: unknown, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
    const key = `${name}:${JSON.stringify(args ?? null)}`;
    let loader = this.loaders.get(key) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V>(batch, { maxBatchSize: 500 });
      this.loaders.set(key, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }

  private readonly byField = new WeakMap<object, Map<string, DataLoader<unknown, unknown>>>();

  /**
   * `get` for a field of the document selected alone at its path (one field
   * node): its arguments, and what its selection asks, are the same for every
   * parent in a request, so the key is built once, not once per parent.
   */
  forField<K, V>(fieldNodes: readonly object[], name: string, args: unknown, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
    if (fieldNodes.length !== 1) return this.get(name, args, batch);
    let byName = this.byField.get(fieldNodes[0]!);
    if (!byName) this.byField.set(fieldNodes[0]!, (byName = new Map()));
    let loader = byName.get(name) as DataLoader<K, V> | undefined;
    if (!loader) byName.set(name, (loader = this.get(name, args, batch)) as DataLoader<unknown, unknown>);
    return loader;
  }
}

export interface GraphQLContext {
  requestId: string;
  clientAddress: string | null;
  logger: FastifyBaseLogger;
  services: AppServices;
  /** The request's database work (HTTP): abandoned when it timed out. */
  dbScope?: DbWorkScope;
  /** null for an anonymous request. */
  scope: RequestScope | null;
  loaders: RequestLoaders;
  /** Password / code checks made by this request (at most one is allowed). */
  credentialChecks: number;
  /** Set by a sign-in mutation, so its response may show the user it signed in. */
  signedInUserId?: string;
  /** Query depth / complexity / breadth limits, checked before the root field resolves. */
  limits: { depth: number; complexity: number; breadth?: number };
  /**
   * Set when the cost gate (cost-gate.plugin.ts) measured the operation that
   * runs and found it within `limits`, so the complexity plugin does not
   * measure it again; otherwise that plugin measures and refuses.
   */
  limitsChecked?: boolean;
  /** The process's job events, on WebSocket connections only (subscriptions); absent over HTTP. */
  jobEvents?: JobEventHub;
}
