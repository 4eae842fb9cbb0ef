import { z } from 'zod';
import { JOB_TYPES } from '../db/tables/pipeline-jobs.table.js';
import { mergeSettings, splitSettings, timeZone, type Typed, type TypedInput } from '../settings/typed-settings.js';

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
