-- Mapping versions: every state a mapping has had, so an editor can list,
-- compare and restore them. One row per version, version 1 (the creation)
-- included, and the current state too: the newest row always equals the
-- mapping itself. Rows are written by the transaction that changes the
-- mapping; they go when the mapping is deleted.
--
-- changed_by holds the id of the user who made that state, without a
-- constraint (tenant tables never reference datalinx_platform); null for a
-- service account, the system, or a state that predates this table.
--
-- Mappings that exist already get their current state as their first row, so
-- `versions` lists every state a user can restore from the start.

-- target: tenant
CREATE TABLE mapping_versions (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  mapping_id uuid NOT NULL,
  version integer NOT NULL,
  target_table character varying(255) NOT NULL,
  source_table character varying(255) NOT NULL,
  field_mappings jsonb NOT NULL,
  decorators jsonb NOT NULL DEFAULT '[]'::jsonb,
  cte_definitions jsonb NOT NULL DEFAULT '[]'::jsonb,
  status character varying(50) NOT NULL,
  changed_by uuid,
  changed_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT mapping_versions_pkey PRIMARY KEY (id),
  CONSTRAINT mapping_versions_mapping_id_version_key UNIQUE (mapping_id, version),
  CONSTRAINT mapping_versions_mapping_id_fkey FOREIGN KEY (mapping_id) REFERENCES mappings(id) ON DELETE CASCADE,
  CONSTRAINT mapping_versions_status_check CHECK (status::text = ANY (enum_range(NULL::datalinx_platform.mapping_status)::text[]))
);

-- mapping version backfill: the state every existing mapping is in now
INSERT INTO mapping_versions (mapping_id, version, target_table, source_table, field_mappings, decorators, cte_definitions, status, changed_by, changed_at)
SELECT id, version, target_table, source_table, field_mappings, decorators, cte_definitions, status, NULL, updated_at FROM mappings;
