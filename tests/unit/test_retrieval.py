"""The hybrid retriever (bot/rag/retrieval.py) over a real Chroma index in a temp folder,
embedded with the deterministic fake of fake_embedding.py (no model is loaded).

What is checked is the plumbing and the arithmetic: which evidence reaches which list, how
the lists are fused, spelling repair and glossary expansion on the way in, and the rebuild
when the store changes. Answer quality is the real model's business (tests/rag, eval/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from bot.config import Settings
from bot.rag.glossary import Glossary, GlossaryEntry
from bot.rag.indexer import Indexer
from bot.rag.retrieval import RRF_K, HybridRetriever
from bot.rag.store import KnowledgeStore
from tests.conftest import make_settings
from tests.rag.files import write_md
from tests.unit.fake_embedding import HashedBagOfWords

Fusion = Literal["rrf", "weighted", "dense", "keyword"]

GLOSSARY = Glossary(
    [
        GlossaryEntry("Tech Trade Center", ("테크트레이드센터", "テックトレードセンター")),
        GlossaryEntry("Demo Hub", ("데모허브",), subject=True, topic="overview"),
    ]
)


class FakeModel:
    """The factory the retriever and the indexer call for the model (like LazyEmbeddings)."""

    name = "fake-hashed-bag-of-words"

    def __init__(self) -> None:
        self.model = HashedBagOfWords()

    def __call__(self) -> HashedBagOfWords:
        return self.model


def _write_corpus(knowledge: Path) -> None:
    write_md(knowledge / "en" / "office.md", "Office", "office", {
        "Where is the office?": "The incubator office address is 31 Example street, third floor.",
    })  # fmt: skip
    write_md(knowledge / "en" / "ttc.md", "Tech Trade Center", "ttc", {
        "What is the Tech Trade Center?": "The Tech Trade Center hosts exhibitions for exporters.",
    })  # fmt: skip
    write_md(knowledge / "en" / "accelerator.md", "Accelerator", "accelerator", {
        "How does the accelerator work?": "The accelerator selects ten startups every spring.",
    })  # fmt: skip
    write_md(knowledge / "ko" / "office.md", "사무실", "office", {
        "사무실은 어디인가요?": "인큐베이터 사무실은 3층에 있습니다.",
    }, lang="ko")  # fmt: skip


@dataclass
class Indexed:
    settings: Settings
    store: KnowledgeStore
    model: FakeModel


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    root = tmp_path_factory.mktemp("unit-index")
    _write_corpus(root / "knowledge")
    settings = make_settings(root / "data", knowledge_dir=root / "knowledge")
    store = KnowledgeStore(settings)
    model = FakeModel()
    report = Indexer(settings, store, model).ingest()
    assert not report.failed and report.chunks_embedded == 4
    return Indexed(settings, store, model)


def _retriever(indexed: Indexed, fusion: Fusion) -> HybridRetriever:
    return HybridRetriever(indexed.store, indexed.model, GLOSSARY, fusion=fusion)


def test_keyword_fusion_puts_the_keyword_matching_document_first(indexed: Indexed) -> None:
    result = _retriever(indexed, "keyword").retrieve("Where is the incubator office address?")
    assert result.language == "en"
    best = result.candidates[0]
    assert best.topic == "office" and best.language == "en"
    # Keyword scores are normalised to the best chunk's.
    assert best.keyword == pytest.approx(1.0) and best.score == best.keyword
    assert all(c.keyword < 1.0 for c in result.candidates[1:])
    # No dense evidence is computed under keyword fusion.
    assert result.query_vector is None


def test_dense_fusion_ranks_by_the_best_sentence_or_heading(indexed: Indexed) -> None:
    retriever = _retriever(indexed, "dense")
    result = retriever.retrieve("How does the accelerator work?")
    best = result.candidates[0]
    assert best.topic == "accelerator"
    # The heading is the question word for word: cosine 1 with the fake embedding.
    assert best.heading_similarity == pytest.approx(1.0, abs=1e-5)
    assert best.score == pytest.approx(max(best.dense, best.heading_similarity))
    assert [c.score for c in result.candidates] == sorted(
        (c.score for c in result.candidates), reverse=True
    )
    # The sentences carry their cosine with the question vector.
    model = indexed.model.model
    question = np.asarray(model.embed_query("How does the accelerator work?"))
    for sentence in retriever.sentences(result, best):
        expected = float(np.asarray(model.embed_documents([sentence.text])[0]) @ question)
        assert sentence.similarity == pytest.approx(expected, abs=1e-5)
    assert best.dense == pytest.approx(max(s.similarity for s in retriever.sentences(result, best)))


def test_rrf_fusion_adds_the_reciprocal_ranks_of_both_lists(indexed: Indexed) -> None:
    result = _retriever(indexed, "rrf").retrieve("Where is the office? third floor")
    candidates = result.candidates
    by_dense = sorted(candidates, key=lambda c: -max(c.dense, c.heading_similarity))
    by_keyword = sorted(candidates, key=lambda c: -c.keyword)
    for c in candidates:
        expected = 1.0 / (RRF_K + by_dense.index(c) + 1)
        if c.keyword > 0:
            expected += 1.0 / (RRF_K + by_keyword.index(c) + 1)
        assert c.score == pytest.approx(expected)
    # The chunk first in both lists wins; one with no keyword evidence scores from one list.
    assert candidates[0] is by_dense[0] is by_keyword[0]
    assert candidates[0].topic == "office"
    assert any(c.keyword == 0 for c in candidates)


def test_a_misspelt_question_is_repaired_before_searching(indexed: Indexed) -> None:
    result = _retriever(indexed, "keyword").retrieve("wher is the ofice adress")
    assert {"office", "address"} <= set(result.query_tokens)
    assert result.candidates[0].topic == "office"


def test_a_glossary_name_in_korean_finds_the_english_document(indexed: Indexed) -> None:
    result = _retriever(indexed, "keyword").retrieve("테크트레이드센터 전시회")
    assert result.language == "ko" and result.names == 1
    names, weight = result.expansions[0]
    assert {"tech", "trade", "center"} <= set(names) and weight > 0
    assert result.candidates[0].topic == "ttc" and result.candidates[0].language == "en"
    # Without the glossary nothing in the corpus shares a word with the question.
    plain = HybridRetriever(indexed.store, indexed.model, Glossary([]), fusion="keyword")
    assert plain.retrieve("테크트레이드센터 전시회").candidates == []


def test_a_typed_name_adds_only_words_the_documents_use(indexed: Indexed) -> None:
    # Matching a name brings in every form of it; a form's stop word ("the") or a spacing
    # variant's reading is in no document (they are indexed without stop words), so it could
    # find nothing and would only count as a word the corpus lacks.
    glossary = Glossary(
        [GlossaryEntry("Tech Trade Center", ("the Tech Trade Center", "TechTrade Center"))]
    )
    retriever = HybridRetriever(indexed.store, indexed.model, glossary, fusion="weighted")
    result = retriever.retrieve("What is the Tech Trade Center?")
    assert {"tech", "trade", "center"} <= set(result.query_tokens)
    assert "the" not in result.query_tokens and "techtrade" not in result.query_tokens
    assert result.unseen == 0.0


def test_a_question_the_corpus_does_not_cover_is_all_unseen(indexed: Indexed) -> None:
    result = _retriever(indexed, "weighted").retrieve("visa rules for pets")
    assert result.unseen == 1.0
    assert all(c.keyword == 0 for c in result.candidates)


def test_weighted_fusion_scores_every_candidate_with_its_features(indexed: Indexed) -> None:
    result = _retriever(indexed, "weighted").retrieve("인큐베이터 사무실은 어디인가요?")
    assert result.language == "ko"
    assert result.candidates and all(c.features is not None for c in result.candidates)
    for c in result.candidates:
        assert c.features is not None and c.features.same_language == (c.language == "ko")
    # The Korean document (keyword and dense evidence both) comes first.
    assert (result.candidates[0].topic, result.candidates[0].language) == ("office", "ko")
    assert indexed.model.model.calls > 0  # the fake embedded the question


def test_the_snapshot_is_rebuilt_when_the_store_changes(indexed: Indexed) -> None:
    settings, store, model = indexed.settings, indexed.store, indexed.model
    retriever = HybridRetriever(store, model, GLOSSARY, fusion="keyword", refresh_seconds=0.0)
    assert retriever.retrieve("submarine museum").candidates == []
    knowledge = settings.knowledge_dir
    extra = write_md(knowledge / "en" / "museum.md", "Museum", "museum", {
        "Is there a museum?": "A submarine museum is next to the incubator.",
    })  # fmt: skip
    try:
        Indexer(settings, store, model).ingest()
        store.bump_version()  # as Assistant.ingest does after a change
        assert retriever.retrieve("submarine museum").candidates[0].topic == "museum"
    finally:
        extra.unlink()
        Indexer(settings, store, model).ingest()
        store.bump_version()
    assert retriever.retrieve("submarine museum").candidates == []
