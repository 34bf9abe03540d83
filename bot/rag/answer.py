"""Answers and their sources, and the extractive answerer that needs no LLM."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from bot.rag.retrieval import Candidate, Retrieval
from bot.rag.text import split_sentences, tokenize

LANGUAGE_NAMES = {
    "en": {"en": "English", "ko": "Korean", "vi": "Vietnamese", "ja": "Japanese"},
    "ko": {"en": "영어", "ko": "한국어", "vi": "베트남어", "ja": "일본어"},
    "vi": {"en": "tiếng Anh", "ko": "tiếng Hàn", "vi": "tiếng Việt", "ja": "tiếng Nhật"},
    "ja": {"en": "英語", "ko": "韓国語", "vi": "ベトナム語", "ja": "日本語"},
}

DECLINE = {
    "en": (
        "I'm sorry — the programme documents I have do not cover this question, so I can't "
        "answer it reliably. Please ask the hub staff: use “Ask a staff member” in Telegram "
        "or the staff hand-off in the website chat."
    ),
    "ko": (
        "죄송합니다. 제가 가진 프로그램 문서에는 이 질문에 대한 내용이 없어 정확히 답변드리기 "
        "어렵습니다. 허브 담당자에게 문의해 주세요. 텔레그램의 “담당자에게 문의” 버튼이나 "
        "웹사이트 채팅의 담당자 연결을 이용하실 수 있습니다."
    ),
    "vi": (
        "Xin lỗi, tài liệu của chương trình mà tôi có không đề cập đến câu hỏi này nên tôi không "
        "thể trả lời chính xác. Vui lòng hỏi nhân viên của hub: dùng nút “Hỏi nhân viên” trên "
        "Telegram hoặc chức năng chuyển cho nhân viên trong khung chat của website."
    ),
    "ja": (
        "申し訳ありません。手元のプログラム資料にはこの質問の内容が含まれていないため、"
        "確かなお答えができません。ハブのスタッフにお問い合わせください。Telegramの"
        "「スタッフに質問」ボタン、またはウェブサイトのチャットのスタッフ連絡をご利用ください。"
    ),
}

UNAVAILABLE = {
    "en": "The assistant is temporarily unavailable. Please try again in a few minutes.",
    "ko": "일시적으로 답변할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    "vi": "Trợ lý tạm thời không khả dụng. Vui lòng thử lại sau ít phút.",
    "ja": "一時的にご利用いただけません。数分後にもう一度お試しください。",
}

OTHER_LANGUAGE_NOTE = {
    "en": "(No English document covers this; the answer is taken from a {lang} document.)",
    "ko": "(한국어 문서에는 이 내용이 없어 {lang} 문서에서 가져온 답변입니다.)",
    "vi": "(Không có tài liệu tiếng Việt về nội dung này; câu trả lời lấy từ tài liệu {lang}.)",
    "ja": "(日本語の資料にはこの内容がないため、{lang}の資料から回答しています。)",
}


def message(table: dict[str, str], language: str) -> str:
    """A fixed message in the user's language (English for languages we have no text for)."""
    return table.get(language, table["en"])


@dataclass(frozen=True)
class Source:
    """Where an answer comes from."""

    title: str
    source: str
    section: str
    snippet: str
    score: float
    language: str = ""
    last_verified: str = ""


@dataclass
class Answer:
    """What every channel formats: the text, whether it answers, its language and sources."""

    answer: str
    answered: bool
    language: str
    sources: list[Source] = field(default_factory=list)
    confidence: float = 0.0
    # The store could not be reached: the text asks the founder to try again later.
    unavailable: bool = False

    def to_dict(self) -> dict[str, object]:
        """The JSON shape shared by the CLI and the HTTP API."""
        return {
            "answer": self.answer,
            "answered": self.answered,
            "language": self.language,
            "sources": [asdict(s) for s in self.sources],
        }


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def to_source(candidate: Candidate, score: float | None = None) -> Source:
    """Describe a candidate chunk as a cited source."""
    meta = candidate.metadata
    return Source(
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        section=str(meta.get("section", "")),
        snippet=_snippet(candidate.text),
        score=round(candidate.score if score is None else score, 4),
        language=str(meta.get("language", "")),
        last_verified=str(meta.get("last_verified", "")),
    )


def extract_passage(text: str, retrieval: Retrieval, max_chars: int) -> str:
    """The sentences of ``text`` that answer the question, in document order, within max_chars."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    sentences = split_sentences(text)
    wanted = set(retrieval.expanded_tokens)
    scored = []
    for position, sentence in enumerate(sentences):
        tokens = set(tokenize(sentence))
        overlap = len(tokens & wanted) / (len(wanted) or 1)
        scored.append((overlap, -position, position, sentence))
    chosen: list[tuple[int, str]] = []
    used = 0
    for _, _, position, sentence in sorted(scored, reverse=True):
        if used + len(sentence) + 1 > max_chars and chosen:
            continue
        chosen.append((position, sentence))
        used += len(sentence) + 1
        if used >= max_chars * 0.8:
            break
    passage = " ".join(sentence for _, sentence in sorted(chosen))
    return passage[:max_chars]
