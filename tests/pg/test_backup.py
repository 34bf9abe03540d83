"""The README's backup and restore of the state that cannot be rebuilt, done for real."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url, text

from bot.rag.answer import Answer
from bot.state import StateStore
from tests.pg.server import PASSWORD, USER, PostgresServer


def _fill(store: StateStore) -> int:
    """A question with a 👍 and an open hand-off: what staff would lose."""
    qid = store.log_question("web", "web:abc", "HUTECH은 어떤 곳인가요?", Answer("…", True, "ko"), 0.9)
    assert store.record_feedback(qid, "web", "web:abc", 1) is not None
    store.open_handoff("web", "web:abc", "비자 문의", language="ko", contact="founder@example.com")
    return qid


def _lose_everything(store: StateStore) -> None:
    with store.engine.begin() as conn:
        for table in ("handoff_messages", "feedback", "handoffs", "questions"):
            conn.execute(text(f"DELETE FROM {table}"))
    assert store.stats() == {} and not store.open_handoffs()


def _assert_back(store: StateStore, qid: int) -> None:
    assert store.stats()["ko"].thumbs_up == 1
    assert [h.contact for h in store.open_handoffs()] == ["founder@example.com"]
    assert store.feedback_for(qid)[0]["rating"] == 1


def test_pg_dump_and_pg_restore_bring_the_state_back(pg_server: PostgresServer, pg_url: str,
                                                      tmp_path: Path) -> None:  # fmt: skip
    database = make_url(pg_url).database
    assert database
    connect = ["-h", "127.0.0.1", "-p", str(pg_server.port), "-U", USER, "-d", database]
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    store = StateStore(pg_url)
    qid = _fill(store)
    dump = tmp_path / "state.dump"
    subprocess.run([str(pg_server.bindir / "pg_dump"), "-Fc", *connect, "-f", str(dump)],
                   env=env, check=True, capture_output=True, timeout=120)  # fmt: skip
    _lose_everything(store)
    store.close()
    subprocess.run([str(pg_server.bindir / "pg_restore"), "--clean", "--if-exists", *connect,
                    str(dump)], env=env, check=True, capture_output=True, timeout=120)  # fmt: skip
    restored = StateStore(pg_url)
    try:
        _assert_back(restored, qid)
    finally:
        restored.close()


def test_sqlite_online_backup_and_restore(tmp_path: Path) -> None:
    live = tmp_path / "data" / "state.sqlite3"
    live.parent.mkdir()
    store = StateStore(f"sqlite:///{live}")
    qid = _fill(store)
    backup = tmp_path / "state-backup.sqlite3"
    # The README's Python one-liner, while the store is open (the service is running).
    with sqlite3.connect(live) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    _lose_everything(store)
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    live.write_bytes(backup.read_bytes())
    restored = StateStore(f"sqlite:///{live}")
    try:
        _assert_back(restored, qid)
    finally:
        restored.close()
