"""Storage: SQLAlchemy engine and sessions, tables, migrations and the stores. No Flask."""
