-- A workspace's target warehouse: where its pipelines load data. One per
-- workspace, so a nullable JSONB column on workspaces rather than a table: it
-- is read with the workspace (no join, no loader of its own), removing it is
-- setting it to null, and it goes with the workspace. Shape:
--   {"dialect": "postgresql", "target_schema": "analytics",
--    "connection_config": {plain settings…, "secret_fields": […], "secrets": {sealed}}}
-- connection_config is stored exactly like data_sources.connection_config
-- (secrets sealed with AES-256-GCM, bound to the organization and workspace).

-- target: tenant
ALTER TABLE workspaces ADD COLUMN warehouse jsonb;
