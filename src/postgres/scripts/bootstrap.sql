-- Run once by bootstrap-primary.sh right after initdb, on a private socket, before the server
-- accepts connections. psql variables: replication_user, replication_password_file (optional).
\set ON_ERROR_STOP on
SET log_statement = 'none';

\if :{?replication_password_file}
\set replication_password `cat "$REPLICATION_CREDENTIALS_FILE"`
SELECT format('CREATE ROLE %I', :'replication_user')
  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'replication_user') \gexec
ALTER ROLE :"replication_user" WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'replication_password';
\unset replication_password
\endif
