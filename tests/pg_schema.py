"""A throwaway PostgreSQL schema for tests that need a real server (skipped without one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tradepit.config import normalise_database_url
from tradepit.storage.engine import make_engine

PG_URL_ENV = "TRADEPIT_TEST_DATABASE_URL"


@contextmanager
def throwaway_schema(prefix: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema `<prefix>_<random>` (search_path in the
    URL), dropped afterwards. Skips the test when TRADEPIT_TEST_DATABASE_URL is not set."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(
            f"needs PostgreSQL: set {PG_URL_ENV} (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(normalise_database_url(url)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
