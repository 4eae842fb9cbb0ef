-- Credential changes are announced on the channel `datalinx_credentials`, the
-- payload the organization's id: a session revoked (logout, revoke, password
-- reset), a user's role or organization changed or the user removed, a service
-- account or one of its keys revoked or removed. API processes LISTEN to it and
-- re-check the WebSocket connections of that organization at once, so a socket
-- does not outlive the credential it was opened with (see README, "Live updates").
-- A notice is sent when the transaction commits; identical ones in one
-- transaction are sent once.

-- target: platform
CREATE FUNCTION datalinx_platform.notify_credentials_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  org uuid;
BEGIN
  IF TG_TABLE_NAME IN ('users', 'service_accounts') THEN
    org := OLD.organization_id;
  ELSIF TG_TABLE_NAME = 'refresh_tokens' THEN
    SELECT u.organization_id INTO org FROM datalinx_platform.users u WHERE u.id = OLD.user_id;
  ELSIF TG_TABLE_NAME = 'service_account_keys' THEN
    SELECT a.organization_id INTO org FROM datalinx_platform.service_accounts a WHERE a.id = OLD.service_account_id;
  END IF;
  IF org IS NOT NULL THEN
    PERFORM pg_notify('datalinx_credentials', org::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER users_credentials_changed
  AFTER UPDATE OF role, organization_id OR DELETE ON datalinx_platform.users
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.notify_credentials_changed();

CREATE TRIGGER refresh_tokens_credentials_changed
  AFTER UPDATE OF revoked_at OR DELETE ON datalinx_platform.refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.notify_credentials_changed();

CREATE TRIGGER service_accounts_credentials_changed
  AFTER UPDATE OF revoked_at, role OR DELETE ON datalinx_platform.service_accounts
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.notify_credentials_changed();

CREATE TRIGGER service_account_keys_credentials_changed
  AFTER UPDATE OF revoked_at OR DELETE ON datalinx_platform.service_account_keys
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.notify_credentials_changed();
