-- An organization edited (its name or settings) or deleted is announced on
-- `datalinx_credentials` too, the payload its id, when the transaction
-- commits. API processes remember open sessions together with their
-- organization's row (SESSION_CACHE_TTL_MS, see README, "Performance"); the
-- notice ends what they remember of that organization, so every request after
-- the commit reads the row as it is now. Sockets of the organization are
-- re-checked as for any credential notice, and stay open: nothing about their
-- credential changed.

-- target: platform
CREATE FUNCTION datalinx_platform.notify_organization_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('datalinx_credentials', OLD.id::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER organizations_changed
  AFTER UPDATE OR DELETE ON datalinx_platform.organizations
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.notify_organization_changed();
