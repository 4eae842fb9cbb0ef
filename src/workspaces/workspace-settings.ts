import { z } from 'zod';
import { JOB_TYPES } from '../db/tables/pipeline-jobs.table.js';
import { ValidationError } from '../errors.js';

/** The settings keys the API knows; anything else is kept under `extra`. */
export const KnownWorkspaceSettings = z.object({
  timezone: z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  defaultJobType: z.enum(JOB_TYPES),
  retentionDays: z.number().int().min(1).max(3650),
  notificationEmails: z.array(z.email()).max(50),
});
export type KnownWorkspaceSettings = z.infer<typeof KnownWorkspaceSettings>;

const KNOWN_KEYS = Object.keys(KnownWorkspaceSettings.shape) as (keyof KnownWorkspaceSettings)[];

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const DEFAULT_WORKSPACE_SETTINGS: KnownWorkspaceSettings = {
  timezone: 'UTC',
  defaultJobType: 'incremental',
  retentionDays: 30,
  notificationEmails: [],
};

export interface WorkspaceSettings extends Partial<KnownWorkspaceSettings> {
  extra: Record<string, unknown>;
}

/** Stored settings (flat JSON object) → known keys typed + the rest. */
export function toWorkspaceSettings(stored: Record<string, unknown> | null | undefined): WorkspaceSettings {
  const extra: Record<string, unknown> = {};
  const known: Partial<KnownWorkspaceSettings> = {};
  for (const [key, value] of Object.entries(stored ?? {})) {
    const schema = KnownWorkspaceSettings.shape[key as keyof KnownWorkspaceSettings];
    const parsed = schema?.safeParse(value);
    if (parsed?.success) (known as Record<string, unknown>)[key] = parsed.data;
    else extra[key] = value;
  }
  return { ...known, extra };
}

/** Settings as a client sends them: any known key may be left out or null. */
export interface WorkspaceSettingsInput {
  timezone?: string | null;
  defaultJobType?: KnownWorkspaceSettings['defaultJobType'] | null;
  retentionDays?: number | null;
  notificationEmails?: string[] | null;
  extra?: Record<string, unknown> | null;
}

/**
 * Merges input over a base (the defaults, or what is stored) and returns the
 * stored flat object. Known keys are validated; `extra` replaces the base's
 * extra when given and may not shadow a known key.
 */
export function mergeWorkspaceSettings(base: WorkspaceSettings, input: WorkspaceSettingsInput): Record<string, unknown> {
  const { extra, ...known } = input;
  const given = Object.fromEntries(Object.entries(known).filter(([, v]) => v !== null && v !== undefined));
  const parsed = KnownWorkspaceSettings.partial().safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`settings.${issue.path.join('.')}: ${issue.message}`, ['input', 'settings', ...issue.path.map(String)]);
  }
  const newExtra = extra ?? base.extra;
  const clashes = Object.keys(newExtra).filter((k) => (KNOWN_KEYS as string[]).includes(k));
  if (clashes.length) {
    throw new ValidationError(`settings.extra may not contain the known keys ${clashes.join(', ')}`, ['input', 'settings', 'extra']);
  }
  const { extra: _old, ...baseKnown } = base;
  return { ...newExtra, ...baseKnown, ...parsed.data };
}
