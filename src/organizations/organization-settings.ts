import { z } from 'zod';
import { mergeSettings, splitSettings, timeZone, type Typed, type TypedInput } from '../settings/typed-settings.js';

export const WAREHOUSE_TYPES = ['databricks', 'snowflake', 'bigquery', 'postgresql'] as const;

/** The organization settings keys the API knows; anything else is kept under `extra`. */
export const KnownOrganizationSettings = z.object({
  defaultWarehouse: z.enum(WAREHOUSE_TYPES),
  timezone: timeZone,
});

export type OrganizationSettings = Typed<typeof KnownOrganizationSettings>;
export type OrganizationSettingsInput = TypedInput<typeof KnownOrganizationSettings>;

export const toOrganizationSettings = (stored: Record<string, unknown> | null | undefined) => splitSettings(KnownOrganizationSettings, stored);

export const mergeOrganizationSettings = (base: OrganizationSettings, input: OrganizationSettingsInput) =>
  mergeSettings(KnownOrganizationSettings, base, input, ['input', 'settings']);
