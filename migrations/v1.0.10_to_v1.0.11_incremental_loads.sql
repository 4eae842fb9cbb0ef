-- Incremental loads: a mapping may name the cursor column whose values only
-- grow (an updated_at, a sequence) and the target key its rows are upserted
-- by. One optional setting of the mapping, so a nullable JSONB column rather
-- than a table. Shape:
--   {"cursor_column": "updated_at", "key_columns": ["customer_id"]}
-- Both name target fields of the mapping. The high-water mark itself is kept
-- in the warehouse, beside the data it describes (see README, "Loading into
-- the warehouse"), so nothing here changes when a load commits.

-- target: tenant
ALTER TABLE mappings ADD COLUMN incremental jsonb;
