#!/bin/sh
# Run once by the postgres image when the database is first created: the role the service runs as. It may read and
# write the tables the owner (recording_owner, who runs the migrations) creates; the migration that creates the audit
# table then takes UPDATE and DELETE on it away from this role (RECORDING_DATABASE_APP_ROLE=recording_app).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$RECORDING_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE recording_app LOGIN PASSWORD :'app_password';
GRANT CONNECT ON DATABASE recording TO recording_app;
GRANT USAGE ON SCHEMA public TO recording_app;
ALTER DEFAULT PRIVILEGES FOR ROLE recording_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO recording_app;
ALTER DEFAULT PRIVILEGES FOR ROLE recording_owner IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO recording_app;
ALTER DEFAULT PRIVILEGES FOR ROLE recording_owner IN SCHEMA public
  GRANT EXECUTE ON FUNCTIONS TO recording_app;
SQL
