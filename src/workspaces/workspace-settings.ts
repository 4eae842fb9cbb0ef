import { z } from 'zod';
import { JOB_TYPES } from '../db/tables/pipeline-jobs.table.js';
import { mergeSettings, splitSettings, type Typed, type TypedInput } from '../settings/typed-settings.js';

const knownTimeZones = new Map<string, boolean>();

/** Building an Intl.DateTimeFormat costs tens of microseconds, and every workspace read checks its zone: remember answers. */
export function isTimeZone(tz: string): boolean {
  let valid = knownTimeZones.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    if (knownTimeZones.size < 1000) knownTimeZones.set(tz, valid);
  }
  return valid;
}

export const timeZone = z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');

/** The workspace settings keys the API knows; anything else is kept under `extra`. */
export const KnownWorkspaceSettings = z.object({
  timezone: timeZone,
  defaultJobType: z.enum(JOB_TYPES),
  retentionDays: z.number().int().min(1).max(3650),
  notificationEmails: z.array(z.email()).max(50),
});

export type WorkspaceSettings = Typed<typeof KnownWorkspaceSettings>;
export type WorkspaceSettingsInput = TypedInput<typeof KnownWorkspaceSettings>;

export const DEFAULT_WORKSPACE_SETTINGS: WorkspaceSettings = {
  timezone: 'UTC',
  defaultJobType: 'incremental',
  retentionDays: 30,
  notificationEmails: [],
  extra: {},
};

export const toWorkspaceSettings = (stored: Record<string, unknown> | null | undefined) => splitSettings(KnownWorkspaceSettings, stored);

export const mergeWorkspaceSettings = (base: WorkspaceSettings, input: WorkspaceSettingsInput) =>
  mergeSettings(KnownWorkspaceSettings, base, input, ['input', 'settings']);
