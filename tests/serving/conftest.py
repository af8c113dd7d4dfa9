from service_fixtures import db_url, pg_base, pg_schema_url, sqlite_template, store  # noqa: F401
