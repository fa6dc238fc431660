"""Alembic migrations for tradepit.storage (run them with `Store.migrate()`)."""
