-- Mapping field sources: one row per field mapping of a mapping (its target
-- field, source and transform), so `mappings(fieldMappingsContain:)` is an
-- index range read in list order instead of a GIN bitmap over field_mappings
-- whose every matching row's JSONB is rechecked (see README, "Performance").
--
-- The rows are derived from mappings.field_mappings by
-- datalinx_platform.field_mapping_entries(), the one definition of which entries
-- a containment search can match: keys of a JSON object whose value is itself
-- an object, with source and transform where they are JSON strings (null
-- otherwise). Keys longer than 2,000 bytes are left out (they would not fit a
-- btree entry); a search for one uses field_mappings @> instead. The writer of
-- a mapping (src/mappings/mapping.dao.ts) keeps its rows in the same statement;
-- deleting the mapping deletes them. mapping_created_at is the mapping's
-- created_at (which never changes), so a page is read in the list's order.
--
-- The source index leaves out the rows whose key would not fit a btree entry;
-- a search repeats the index's condition, so it may use the index, only when
-- its own values fit. A search by transform without a source reads the target
-- field's entries in list order and filters them (no index of its own: it is
-- rare, and a third index would cost every mapping write and as much space
-- again).
--
-- Existing mappings get their rows here.

-- target: platform
CREATE FUNCTION datalinx_platform.field_mapping_entries(field_mappings jsonb)
RETURNS TABLE (target_field text, source text, transform text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT e.key,
         CASE WHEN jsonb_typeof(e.value -> 'source') = 'string' THEN e.value ->> 'source' END,
         CASE WHEN jsonb_typeof(e.value -> 'transform') = 'string' THEN e.value ->> 'transform' END
  FROM jsonb_each(CASE WHEN jsonb_typeof(field_mappings) = 'object' THEN field_mappings ELSE '{}'::jsonb END) AS e
  WHERE jsonb_typeof(e.value) = 'object' AND octet_length(e.key) <= 2000
$$;

-- target: tenant
CREATE TABLE mapping_field_sources (
  mapping_id uuid NOT NULL,
  target_field text COLLATE "C" NOT NULL,
  source text COLLATE "C",
  transform text COLLATE "C",
  mapping_created_at timestamp with time zone NOT NULL,
  CONSTRAINT mapping_field_sources_pkey PRIMARY KEY (mapping_id, target_field),
  CONSTRAINT mapping_field_sources_mapping_id_fkey FOREIGN KEY (mapping_id) REFERENCES mappings(id) ON DELETE CASCADE
);

-- mapping field sources backfill: the entries of every existing mapping
INSERT INTO mapping_field_sources (mapping_id, target_field, source, transform, mapping_created_at)
SELECT m.id, e.target_field, e.source, e.transform, m.created_at
FROM mappings m CROSS JOIN LATERAL datalinx_platform.field_mapping_entries(m.field_mappings) AS e;

CREATE INDEX mapping_field_sources_field_idx ON mapping_field_sources (target_field, mapping_created_at DESC, mapping_id DESC);
CREATE INDEX mapping_field_sources_source_idx ON mapping_field_sources (target_field, source, mapping_created_at DESC, mapping_id DESC)
  WHERE octet_length(target_field) + octet_length(source) <= 2000;
ANALYZE mapping_field_sources;
