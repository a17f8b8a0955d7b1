-- The function pgBouncer's auth_user calls (auth_query) to look up a client's SCRAM verifier.
-- SECURITY DEFINER with a pinned search_path, executable only by the auth role, and it never
-- returns superusers, replication roles, the auth role itself or expired roles.
-- psql variable: pooler_user. Run in every database clients reach through the pooler.
CREATE SCHEMA IF NOT EXISTS pgbouncer AUTHORIZATION postgres;
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO :"pooler_user";
CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text)
  RETURNS TABLE (username text, password text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.rolname::text, a.rolpassword::text
    FROM pg_catalog.pg_authid a
   WHERE a.rolname = p_usename
     AND a.rolcanlogin
     AND NOT a.rolsuper
     AND NOT a.rolreplication
     AND a.rolname <> current_user
     AND a.rolname <> session_user
     AND (a.rolvaliduntil IS NULL OR a.rolvaliduntil >= pg_catalog.now())
$$;
ALTER FUNCTION pgbouncer.get_auth(text) OWNER TO postgres;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO :"pooler_user";
