"""The scorer behind `python -m bot eval`: what counts as a fact in the lead, confidently
wrong, declined, a follow-up — checked with scripted predictions (plumbing, no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.evaluation import (
    GATES,
    TARGETS,
    Prediction,
    Question,
    assistant_pipeline,
    evaluate,
    in_chat_order,
    load_question_sets,
    one_chat,
)


def q(id_: str, question: str, topic=None, facts=(), kind="direct", language="en", split="heldout"):
    topics = tuple(topic) if isinstance(topic, list) else ((topic,) if topic else ())
    return Question(id_, language, question, topics, tuple(facts), kind, split=split)


def test_question_files_load_with_splits_topics_and_context(tmp_path: Path) -> None:
    folder = tmp_path / "eval"
    (folder / "founders").mkdir(parents=True)
    (folder / "a.jsonl").write_text(
        json.dumps({"id": "x-1", "language": "en", "question": "fee?", "topic": ["a", "b"],
                    "facts": ["staff"], "kind": "oneword", "split": "train"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    (folder / "founders" / "b.jsonl").write_text(
        json.dumps({"id": "x-2", "language": "ko", "question": "면적은요?", "topic": "hub",
                    "facts": ["1,758"], "kind": "followup", "context": ["허브가 뭐예요?"]}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    first, second = load_question_sets([folder])
    assert first.topics == ("a", "b") and first.split == "train"
    assert second.context == ("허브가 뭐예요?",) and second.split in ("train", "heldout")
    assert load_question_sets([folder])[1].split == second.split  # derived from the id: stable


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    line = json.dumps({"id": "dup", "language": "en", "question": "q"}) + "\n"
    (tmp_path / "a.jsonl").write_text(line, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(line, encoding="utf-8")
    with pytest.raises(ConfigError, match="dup"):
        load_question_sets([tmp_path])


def test_each_outcome_is_counted_where_a_founder_would_count_it() -> None:
    questions = [
        q("1", "How big?", "hub", ["1,758"]),  # fact in the lead
        q("2", "When?", "hub", ["2021"]),  # fact only in the details
        q("3", "Where?", "hub", ["3rd floor"]),  # confident, no fact: confidently wrong
        q("4", "Fee?", "hub", ["staff"]),  # unsure, fact in lead: counts, and as unsure
        q("5", "Who?", "hub", ["SBA"]),  # declined in scope
        q("6", "Weather?", kind="oos"),  # declined: right
        q("7", "Pho recipe?", kind="oos"),  # answered confidently: confidently wrong
        q("8", "How big is it?", "park", ["913"], kind="followup"),
        q("9", "hello", kind="greeting"),
    ]
    scripted = {
        "1": Prediction(["hub"], "It is 1,758 m². More.", "It is 1,758 m².", "answered"),
        "2": Prediction(["hub"], "Opened. In 2021.", "Opened.", "answered"),
        "3": Prediction(["x"], "Somewhere else.", "Somewhere else.", "answered"),
        "4": Prediction(["hub"], "Ask the hub staff.", "Ask the hub staff.", "unsure"),
        "5": Prediction(["hub"], "Sorry.", "Sorry.", "declined"),
        "6": Prediction([], "Sorry.", "Sorry.", "declined"),
        "7": Prediction(["x"], "Cook it.", "Cook it.", "answered"),
        "8": Prediction(["park"], "913 ha.", "913 ha.", "answered"),
        "9": Prediction([], "Hello! I answer …", "Hello! I answer …", "smalltalk"),
    }
    report = evaluate("scripted", questions, lambda question: scripted[question.id])
    r = report.scores[("en", "heldout")].rates()
    assert r["in_scope"] == 6 and r["fact_lead"] == round(3 / 6, 3)
    assert r["fact_answer"] == round(4 / 6, 3)
    assert r["confidently_wrong"] == round(2 / 8, 3)  # question 3 and question 7
    assert r["unsure"] == round(1 / 8, 3)
    assert r["in_scope_declined"] == round(1 / 6, 3)
    assert r["oos"] == 2 and r["oos_declined"] == 0.5
    assert r["followups"] == 1 and r["followup_lead"] == 1.0
    assert r["smalltalk"] == 1 and r["smalltalk_answered"] == 1.0
    why = {m["id"]: m["why"] for m in report.misses}
    assert why == {
        "2": "fact not in lead", "3": "wrong", "5": "declined", "7": "out-of-scope answered",
    }  # fmt: skip


def test_gates_and_targets_name_what_is_missed() -> None:
    questions = [q("1", "How big?", "hub", ["1,758"], language=lang) for lang in ("en", "ko")]
    perfect = evaluate("p", questions, lambda _: Prediction(["hub"], "1,758", "1,758", "answered"))
    assert perfect.gate_failures() == ["vi/heldout: no questions", "ja/heldout: no questions"]
    declined = evaluate("d", questions, lambda _: Prediction([], "Sorry", "Sorry", "declined"))
    failures = declined.gate_failures(limits=TARGETS)
    assert any(f.startswith("en/heldout: fact in lead 0.0") for f in failures)
    assert any("in-scope declined 1.0" in f for f in failures)
    assert GATES["fact_lead_min"] <= TARGETS["fact_lead_min"]


class _Recorder:
    """Plumbing stand-in for the assistant: records which conversation each message went to."""

    last_retrieval = None

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def answer(self, text: str, conversation: str):
        from bot.rag.answer import Answer

        self.asked.append((conversation, text))
        return Answer("ok", True, "en", outcome="answered", lead="ok")


def test_the_one_chat_run_asks_each_languages_questions_in_one_conversation() -> None:
    recorder = _Recorder()
    run = assistant_pipeline(recorder, one_chat)
    followup = Question("k-2", "ko", "면적은요?", ("hub",), ("1,758",), "followup",
                        context=("허브가 뭐예요?",))  # fmt: skip
    for question in (q("e-1", "Where?"), q("k-1", "어디?", language="ko"), followup,
                     q("e-2", "When?")):  # fmt: skip
        run(question)
    by_conversation: dict[str, list[str]] = {}
    for conversation, text in recorder.asked:
        by_conversation.setdefault(conversation, []).append(text)
    assert sorted(by_conversation.values()) == [
        ["Where?", "When?"],
        ["어디?", "허브가 뭐예요?", "면적은요?"],  # the context just before its follow-up
    ]


def test_the_chat_order_mixes_the_files_order_and_is_the_same_every_run() -> None:
    questions = [q(f"en-{n:03}", f"question {n}") for n in range(20)]
    order = [x.id for x in in_chat_order(questions)]
    assert order == [x.id for x in in_chat_order(list(reversed(questions)))]
    assert order != [x.id for x in questions] and sorted(order) == [x.id for x in questions]
