"""Server-signed conversation ids (issue 14, finding 8) on their own: no server needed."""

from __future__ import annotations

from bot.tg.handoff import source_from_dict
from bot.web.conversations import ConversationIds


def test_an_issued_id_is_kept_and_anything_else_gets_a_new_one() -> None:
    ids = ConversationIds(b"k" * 32)
    issued = ids.issue()
    assert ids.resolve(issued) == issued
    for other in (None, "", "chosen-by-the-client", issued[:-1] + ("A" if issued[-1] != "A" else "B")):
        fresh = ids.resolve(other)
        assert fresh != other and ids.valid(fresh)
    # Another server's key does not sign for this one.
    assert not ConversationIds(b"x" * 32).valid(issued)


def test_a_stored_source_reads_back_whatever_its_score_was_stored_as() -> None:
    assert source_from_dict({"title": "T", "score": 0.5}).score == 0.5
    assert source_from_dict({"title": "T", "score": "0.25"}).score == 0.25
    assert source_from_dict({"title": "T"}).score == 0.0
    assert source_from_dict({"title": "T", "score": None}).score == 0.0
