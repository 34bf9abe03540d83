"""StateStore behaves the same on SQLite and on a real PostgreSQL server (DATABASE_URL).

Every test here runs once per backend (the ``store``/``db_url`` fixtures); the ones about
replicas open two StateStore objects on one database, as two service processes would.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.errors import StoreUnavailable
from bot.rag.answer import Answer, Source
from bot.state import (
    StateStore,
    feedback,
    handoff_messages,
    handoffs,
    one_open_handoff,
    questions,
)
from tests.pg.server import PASSWORD, PostgresServer

# Telegram supergroup and user ids do not fit in 32 bits.
SUPERGROUP_CHAT = -1_001_234_567_890
BIG_THREAD = 9_876_543_210


def answer(
    text_: str = "The hub is 1,758 m².", *, answered: bool = True, language: str = "en"
) -> Answer:
    """A core answer with one source (what channels pass to log_question)."""
    source = Source("Hub overview", f"{language}/hub-overview.md", "Size", "1,758 m²", 0.9, language)
    return Answer(text_, answered, language, [source] if answered else [])


def age(store: StateStore, table, row_id: int, days: int, column: str = "created_at") -> None:
    """Move a row's timestamp ``days`` into the past (retention and time-window tests)."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with store.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == row_id).values({column: when}))


def run_together(workers: int, job: Callable[[int], object]) -> list[object]:
    """Run ``job(i)`` in ``workers`` threads released at the same instant; re-raise failures."""
    barrier = threading.Barrier(workers, timeout=30)

    def start(i: int) -> object:
        barrier.wait()
        return job(i)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(start, range(workers)))


# --- question log and feedback ---------------------------------------------------------------


def test_logged_question_reads_back_only_in_its_conversation(store: StateStore) -> None:
    qid = store.log_question("web", "web:conv-aaaa", "How big is the hub?", answer(), 0.83)
    row = store.question(qid, "web:conv-aaaa")
    assert row is not None
    assert row["question"] == "How big is the hub?" and row["answered"] is True
    assert row["language"] == "en" and row["confidence"] == pytest.approx(0.83)
    assert row["top_source"] == "en/hub-overview.md § Size"
    created = row["created_at"]
    assert isinstance(created, dt.datetime) and created.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=5)
    assert store.question(qid, "web:conv-bbbb") is None
    second = store.log_question("telegram", "tg:42", "허브 면적은?", answer(language="ko"), 0.7)
    assert second > qid


def test_feedback_is_stored_for_the_own_conversation_only(store: StateStore) -> None:
    qid = store.log_question("web", "web:conv-aaaa", "Visa?", answer(), 0.9)
    assert store.record_feedback(qid, "web", "web:conv-bbbb", 1) is None
    up = store.record_feedback(qid, "web", "web:conv-aaaa", 1)
    down = store.record_feedback(qid, "web", "web:conv-aaaa", -1, "outdated")
    # One vote per answer and conversation: the later vote replaces the earlier one.
    assert up is not None and down == up
    assert store.add_feedback_comment(down, "web:conv-aaaa", "the fee changed in 2026")
    assert not store.add_feedback_comment(down, "web:conv-bbbb", "hijack")
    rows = sorted(store.feedback_for(qid), key=lambda r: r["id"])
    assert [(r["rating"], r["comment"]) for r in rows] == [(-1, "the fee changed in 2026")]
    assert all(r["created_at"].utcoffset() == dt.timedelta(0) for r in rows)
    with pytest.raises(ValueError, match="rating"):
        store.record_feedback(qid, "web", "web:conv-aaaa", 5)


@pytest.mark.parametrize("bad_id", [2**31, 2**63, 2**70, 0, -1])
def test_ids_out_of_range_find_nothing_instead_of_failing(store: StateStore, bad_id: int) -> None:
    """A client may send any integer: PostgreSQL must not turn it into an error (HTTP 500)."""
    store.log_question("web", "web:conv-aaaa", "Visa?", answer(), 0.9)
    assert store.question(bad_id, "web:conv-aaaa") is None
    assert store.record_feedback(bad_id, "web", "web:conv-aaaa", 1) is None
    assert store.add_feedback_comment(bad_id, "web:conv-aaaa", "x") is False
    assert store.feedback_for(bad_id) == []
    assert store.handoff(bad_id) is None
    assert store.handoff_messages(bad_id) == []
    assert store.close_handoff(bad_id) is False
    assert store.handoff_by_thread(bad_id * 2**64) is None


def test_nul_characters_are_dropped_not_fatal(store: StateStore) -> None:
    """PostgreSQL text cannot hold NUL (SQLite can): a pasted NUL must not lose the question."""
    qid = store.log_question("web", "web:conv-aaaa", "visa\x00 fee?", answer("a\x00b"), 0.9)
    row = store.question(qid, "web:conv-aaaa")
    assert row is not None and row["question"] == "visa fee?" and row["answer"] == "ab"
    fid = store.record_feedback(qid, "web", "web:conv-aaaa", -1, "wr\x00ong")
    assert fid is not None and store.feedback_for(qid)[0]["comment"] == "wrong"
    opened = store.open_handoff(
        "web", "web:conv-aaaa", "q\x00", contact="me\x00@x.vn", sources=[{"title": "a\x00b"}]
    )
    assert store.handoff(opened.id).sources == [{"title": "a\x00b"}]  # type: ignore[union-attr]
    store.add_handoff_message(opened.id, "founder", "me\x00", "hel\x00lo")
    assert (opened.question, opened.contact) == ("q", "me@x.vn")
    assert store.handoff_messages(opened.id)[0]["text"] == "hello"


def test_long_values_are_capped_to_the_column_sizes(store: StateStore) -> None:
    """PostgreSQL enforces VARCHAR lengths that SQLite ignores."""
    long = answer()
    long.sources = [Source("t", "s" * 600, "section", "snippet", 0.9, "en")]
    qid = store.log_question("web", "web:conv-aaaa", "q" * 5000, long, 0.9)
    row = store.question(qid, "web:conv-aaaa")
    assert row is not None and len(row["question"]) == 4000 and len(row["top_source"]) == 512
    opened = store.open_handoff("web", "web:conv-bbbb", "q", language="x" * 20, contact="c" * 900)
    store.add_handoff_message(opened.id, "staff", "a" * 300, "t" * 9000)
    [message] = store.handoff_messages(opened.id)
    assert len(opened.language) == 8 and len(opened.contact) == 500
    assert len(message["author"]) == 128 and len(message["text"]) == 8000


# --- hand-offs -------------------------------------------------------------------------------


def test_handoff_lifecycle_with_messages_and_staff_thread(store: StateStore) -> None:
    sources = [{"title": "비자 안내", "source": "ko/visa.md", "score": 0.8}]
    opened = store.open_handoff(
        "telegram", "tg:-1001234567890", "비자 연장은 어떻게 하나요?", answer="모르겠습니다",
        sources=sources, language="ko", chat_id=SUPERGROUP_CHAT, contact="@founder",
    )  # fmt: skip
    assert opened.open and opened.chat_id == SUPERGROUP_CHAT and opened.sources == sources
    assert opened.created_at.utcoffset() == dt.timedelta(0)
    again = store.open_handoff("telegram", "tg:-1001234567890", "another question")
    assert again.id == opened.id and again.question == opened.question
    assert store.open_handoff_for("tg:-1001234567890") == opened
    assert store.open_handoff_for("tg:1") is None

    store.set_staff_thread(opened.id, BIG_THREAD)
    assert store.handoff_by_thread(BIG_THREAD).id == opened.id  # type: ignore[union-attr]
    assert store.handoff_by_thread(BIG_THREAD + 1) is None
    store.add_handoff_message(opened.id, "founder", "Kim", "안녕하세요")
    store.add_handoff_message(opened.id, "staff", "Linh", "Xin chào, we will check")
    messages = store.handoff_messages(opened.id)
    assert [(m["direction"], m["author"], m["text"]) for m in messages] == [
        ("founder", "Kim", "안녕하세요"), ("staff", "Linh", "Xin chào, we will check"),
    ]  # fmt: skip
    assert [h.id for h in store.open_handoffs()] == [opened.id]

    assert store.close_handoff(opened.id) is True
    assert store.close_handoff(opened.id) is False
    assert store.handoff(opened.id).status == "closed"  # type: ignore[union-attr]
    assert store.open_handoffs() == [] and store.open_handoff_for("tg:-1001234567890") is None
    reopened = store.open_handoff("telegram", "tg:-1001234567890", "new question")
    assert reopened.id != opened.id and reopened.open


# --- staff reports ---------------------------------------------------------------------------


def test_gaps_group_declined_disliked_and_low_confidence_questions(store: StateStore) -> None:
    conv = "web:conv-aaaa"
    store.log_question("web", conv, "How do I renew a work permit?", answer(answered=False), 0.2)
    store.log_question(
        "web", conv, "How to renew my work permit in Vietnam?", answer(answered=False), 0.3
    )
    disliked = store.log_question("web", conv, "What is the office rent?", answer(), 0.9)
    store.record_feedback(disliked, "web", conv, -1)
    store.log_question("web", conv, "Is there parking?", answer(), 0.55)
    store.log_question("web", conv, "How big is the hub?", answer(), 0.95)  # fine: no gap
    old = store.log_question("web", conv, "Tax treaty question", answer(answered=False), 0.1)
    age(store, questions, old, 40)

    gaps = store.gaps(30)
    assert [g.count for g in gaps] == [2, 1, 1]
    assert gaps[0].reasons == ["declined", "declined"] and "work permit" in gaps[0].example
    reasons = {g.example: g.reasons for g in gaps[1:]}
    assert reasons == {"What is the office rent?": ["thumbs down"],
                       "Is there parking?": ["unsure"]}  # fmt: skip
    assert any(g.example == "Tax treaty question" for g in store.gaps(60))


def test_stats_per_language_and_window(store: StateStore) -> None:
    ko = store.log_question("telegram", "tg:1", "허브 면적?", answer(language="ko"), 0.9)
    store.log_question("telegram", "tg:1", "날씨?", answer(answered=False, language="ko"), 0.1)
    en = store.log_question("web", "web:conv-aaaa", "Hub size?", answer(), 0.9)
    store.record_feedback(ko, "telegram", "tg:1", 1)
    store.record_feedback(en, "web", "web:conv-aaaa", -1)
    store.open_handoff("web", "web:conv-aaaa", "Visa?", language="en")
    old = store.log_question("web", "web:conv-bbbb", "Old?", answer(language="vi"), 0.9)
    age(store, questions, old, 10)

    stats = store.stats()
    assert (stats["ko"].questions, stats["ko"].answered, stats["ko"].thumbs_up) == (2, 1, 1)
    assert stats["ko"].answered_rate == pytest.approx(0.5)
    assert (stats["en"].questions, stats["en"].thumbs_down, stats["en"].handoffs) == (1, 1, 1)
    assert stats["vi"].questions == 1
    assert "vi" not in store.stats(days=7) and store.stats(days=7)["ko"].questions == 2


def test_purge_drops_old_log_rows_and_closed_handoffs_only(store: StateStore) -> None:
    old = store.log_question("web", "web:conv-aaaa", "old", answer(), 0.9)
    store.record_feedback(old, "web", "web:conv-aaaa", 1)
    recent = store.log_question("web", "web:conv-aaaa", "recent", answer(), 0.9)
    age(store, questions, old, 400)
    closed = store.open_handoff("web", "web:conv-aaaa", "closed long ago")
    store.add_handoff_message(closed.id, "staff", "Linh", "done")
    store.close_handoff(closed.id)
    age(store, handoffs, closed.id, 400, column="closed_at")
    still_open = store.open_handoff("web", "web:conv-bbbb", "waiting for a year")
    age(store, handoffs, still_open.id, 400)

    assert store.purge(365) == 1
    assert store.question(old, "web:conv-aaaa") is None and store.feedback_for(old) == []
    assert store.question(recent, "web:conv-aaaa") is not None
    assert store.handoff(closed.id) is None and store.handoff_messages(closed.id) == []
    assert store.handoff(still_open.id) is not None
    assert store.purge(365) == 0


# --- two replicas on one database ------------------------------------------------------------


def test_two_stores_on_one_database_see_each_others_writes(db_url: str) -> None:
    first, second = StateStore(db_url), StateStore(db_url)
    try:
        qid = first.log_question("web", "web:conv-aaaa", "Visa?", answer(), 0.9)
        assert second.question(qid, "web:conv-aaaa") is not None
        assert second.record_feedback(qid, "web", "web:conv-aaaa", -1) is not None
        assert [r["rating"] for r in first.feedback_for(qid)] == [-1]
        opened = second.open_handoff("web", "web:conv-aaaa", "Visa?")
        first.set_staff_thread(opened.id, BIG_THREAD)
        assert second.handoff_by_thread(BIG_THREAD).id == opened.id  # type: ignore[union-attr]
        assert first.close_handoff(opened.id) and second.open_handoffs() == []
        assert second.stats()["en"].thumbs_down == 1
    finally:
        first.close()
        second.close()


def test_concurrent_writes_from_two_stores_all_land(db_url: str) -> None:
    stores = [StateStore(db_url), StateStore(db_url)]
    per_thread = 15

    def job(i: int) -> list[int]:
        store = stores[i % 2]
        ids = []
        for n in range(per_thread):
            conv = f"web:conv-{i:04d}"
            qid = store.log_question("web", conv, f"question {i}-{n}", answer(), 0.9)
            assert store.record_feedback(qid, "web", conv, 1 if n % 2 else -1) is not None
            ids.append(qid)
        opened = store.open_handoff("web", f"web:conv-{i:04d}", "help")
        store.add_handoff_message(opened.id, "founder", "f", "more")
        return ids

    try:
        results = run_together(8, job)
        ids = [qid for batch in results for qid in batch]  # type: ignore[union-attr]
        assert len(set(ids)) == 8 * per_thread
        with stores[0].engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(questions)) == 8 * per_thread
            assert conn.scalar(select(func.count()).select_from(feedback)) == 8 * per_thread
            assert conn.scalar(select(func.count()).select_from(handoff_messages)) == 8
        assert len(stores[1].open_handoffs()) == 8
    finally:
        for store in stores:
            store.close()


def test_simultaneous_handoffs_of_one_conversation_open_one(db_url: str) -> None:
    """Two replicas (or two clicks) at the same instant: one hand-off, both get its id."""
    stores = [StateStore(db_url), StateStore(db_url)]
    try:
        opened = run_together(
            6, lambda i: stores[i % 2].open_handoff("web", "web:conv-same", f"help {i}")
        )
        assert len({h.id for h in opened}) == 1  # type: ignore[union-attr]
        assert len(stores[0].open_handoffs()) == 1
    finally:
        for store in stores:
            store.close()


def test_database_made_before_the_unique_index_gets_it(db_url: str) -> None:
    store = StateStore(db_url)
    with store.engine.begin() as conn:
        one_open_handoff.drop(conn)
    store.close()
    upgraded = StateStore(db_url)
    try:
        first = upgraded.open_handoff("web", "web:conv-aaaa", "one")
        assert upgraded.open_handoff("web", "web:conv-aaaa", "two").id == first.id
        with upgraded.engine.begin() as conn, pytest.raises(IntegrityError):
            conn.execute(
                handoffs.insert().values(
                    channel="web", conversation="web:conv-aaaa", language="en", question="dup",
                    answer="", sources="[]", contact="", status="open", created_at=first.created_at,
                )
            )  # fmt: skip
    finally:
        upgraded.close()


# --- PostgreSQL specifics --------------------------------------------------------------------


def test_replicas_starting_together_on_an_empty_database_all_start(pg_url: str) -> None:
    """CREATE TABLE races between replicas are serialised (no "already exists" failure)."""
    stores = run_together(6, lambda _: StateStore(pg_url))
    try:
        qid = stores[0].log_question("web", "web:conv-aaaa", "q", answer(), 0.9)  # type: ignore[union-attr]
        assert all(s.question(qid, "web:conv-aaaa") for s in stores)  # type: ignore[union-attr]
    finally:
        for store in stores:
            store.close()  # type: ignore[union-attr]


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_plain_postgres_urls_use_the_installed_psycopg_driver(pg_url: str, scheme: str) -> None:
    store = StateStore(pg_url.replace("postgresql+psycopg", scheme, 1))
    try:
        assert store.engine.dialect.driver == "psycopg"
        assert store.log_question("web", "web:conv-aaaa", "q", answer(), 0.9) >= 1
    finally:
        store.close()


def test_unreachable_or_refused_database_is_a_clear_error_without_the_password(
    pg_server: PostgresServer, pg_url: str
) -> None:
    from tests.test_service import free_port

    closed_port = free_port()
    with pytest.raises(StoreUnavailable) as refused:
        StateStore(f"postgresql+psycopg://assistant:{PASSWORD}@127.0.0.1:{closed_port}/x")
    wrong = pg_url.replace(PASSWORD, "wrong-password-123")
    with pytest.raises(StoreUnavailable) as denied:
        StateStore(wrong)
    for error in (refused, denied):
        message = str(error.value)
        assert "cannot reach the state database" in message and "***" in message
        assert PASSWORD not in message and "wrong-password-123" not in message
    assert "password authentication failed" in str(denied.value)


def test_timestamps_are_utc_whatever_the_server_time_zone(pg_url: str) -> None:
    setup = StateStore(pg_url)
    with setup.engine.begin() as conn:
        database = conn.scalar(text("SELECT current_database()"))
        conn.execute(text(f"ALTER DATABASE \"{database}\" SET timezone TO 'Asia/Ho_Chi_Minh'"))
    setup.close()
    store = StateStore(pg_url)
    try:
        qid = store.log_question("web", "web:conv-aaaa", "q", answer(), 0.9)
        created = store.question(qid, "web:conv-aaaa")["created_at"]  # type: ignore[index]
        assert created.tzinfo == dt.UTC  # type: ignore[union-attr]
        assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=5)  # type: ignore[operator]
        opened = store.open_handoff("web", "web:conv-aaaa", "q")
        assert opened.created_at.tzinfo == dt.UTC
        assert store.stats(days=1)["en"].questions == 1
    finally:
        store.close()
