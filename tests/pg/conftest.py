"""Fixtures of the PostgreSQL tests: one real server per session, one fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.state import StateStore
from tests.pg.server import INSTALL_HINT, PostgresServer, find_bindir, running_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster on 127.0.0.1 (fails, never skips, when it is missing)."""
    if find_bindir() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with running_postgres() as server:
        yield server


@pytest.fixture()
def pg_url(pg_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a fresh, empty database on the session's server."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each backend: the state store must behave the same on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture()
def store(db_url: str) -> Iterator[StateStore]:
    """A StateStore on a fresh database of the parametrised backend."""
    state = StateStore(db_url)
    yield state
    state.close()
