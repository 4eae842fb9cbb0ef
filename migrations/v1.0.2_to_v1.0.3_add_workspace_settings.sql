-- Workspace settings: known keys are typed by the API, the rest kept as JSON.

-- target: tenant
ALTER TABLE workspaces ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
