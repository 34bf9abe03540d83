"""Greetings, thanks and "what can you do?" — answered from the knowledge base's own topics.

The likeliest first message in a chat is "hello" or "what can you do?"; declining it would be
the worst possible start. A message is small talk when, once its greeting / thanks /
capability phrases are removed, no word the documents use is left: "hi, where is the hub?"
is a question (answered without the "hi"), "hi!" and "저한테 뭘 해줄 수 있어요?" are small talk.
The reply lists what the documents cover (their titles, in the founder's language when there
are documents in it) and two or three of their headings as example questions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bot.rag.text import WH_WORDS, tokenize

# Phrases per intent and language, as regular expressions over the lower-cased message.
# Adding a language adds an entry to each table (and its replies below).
_PHRASES: dict[str, dict[str, list[str]]] = {
    "greeting": {
        # "Hi Seoul" / "하이서울" is a programme name, not a greeting.
        "en": [r"\b(?:hi(?![\s-]*seoul)|hello|hey|hiya|howdy|greetings|yo)\b(?: there)?", r"\bgood (?:morning|afternoon|evening|day)\b"],
        "ko": [r"안녕하(?:세요|십니까|신가요)?", r"안녕", r"반갑습니다", r"반가워요?", r"하이(?!\s*서울)", r"헬로", r"ㅎㅇ"],
        "vi": [r"xin chào", r"\bchào(?: bạn| anh| chị| em| ad| admin| buổi sáng| buổi chiều)?\b", r"\balo\b"],
        "ja": [r"こんにちは", r"こんばんは", r"おはよう(?:ございます)?", r"はじめまして", r"やあ", r"ハロー"],
    },
    "thanks": {
        "en": [r"\bthank(?:s| you)(?: (?:a lot|so much|very much))?\b", r"\bthx\b", r"\bcheers\b", r"\bmuch appreciated\b"],
        "ko": [r"감사(?:합니다|해요|드립니다)?", r"고마워요?", r"고맙습니다", r"땡큐", r"ㄱㅅ"],
        "vi": [r"c[ảá]m ơn(?:\s+(?:bạn|anh|chị|em|nhiều|rất nhiều|lắm|nha|nhé|ạ))*", r"\bthanks\b"],
        "ja": [r"(?:どうも)?ありがとう(?:ございます|ございました)?", r"助かりました", r"感謝(?:します|いたします)"],
    },
    "capability": {
        "en": [
            r"\bwhat (?:can|could|do|will) you (?:do|offer|help(?: me)?(?: with)?|tell me|answer)\b",
            r"\bwhat (?:can|could|should) (?:i|we) ask\b",
            r"\bhow (?:can|could|do) you help\b",
            r"\b(?:who|what) are you\b",
            r"\bwhat is this(?: bot| chat| assistant)?\b",
            r"\bwhat (?:topics|things|subjects|kinds? of (?:questions|things|topics)|questions) (?:do|can|could) (?:you|i)\b(?: \w+){0,3}",
            r"\bwhat do you (?:know|cover)\b",
            r"\bare you (?:a |an )?(?:bot|robot|human|ai|real person|machine)\b",
            r"^\s*help\b",
        ],
        "ko": [
            r"(?:뭘|뭐|무엇을|무얼|어떤 것을|어떤 걸|어떤 일을)\s*(?:할|해\s*줄|해\s*주실|도와\s*줄|도와\s*주실|도와\s*드릴|알려\s*줄|알려\s*주실|물어\s*볼|물어봐도|질문할)",
            r"(?:무엇을|뭘|뭐)\s*(?:도와|물어|질문)",
            r"(?:너는|당신은)?\s*누구(?:세요|야|신가요|인가요)",
            r"도움말",
            r"어떤 (?:도움|질문)",
            r"어떤 (?:주제|것|내용|걸)(?:을|를|에 대해|에 대해서)?\s*(?:물어\s*볼|물어봐도|물어|질문할|질문|답할|답해|알려\s*줄|알려\s*주)",
        ],
        "vi": [
            r"(?:bạn|em|bot)?\s*(?:có thể )?(?:làm|giúp|hỗ trợ)(?: được)?(?: gì| những gì)",
            r"(?:bạn|em|bot) là ai",
            r"(?:tôi|mình|em)?\s*(?:có thể )?hỏi(?: được)?(?: \w+){0,4} (?:gì|những gì|chủ đề nào|cái gì|điều gì|vấn đề gì)",
            r"(?:bạn|em|bot)(?: này)? biết(?: trả lời)?(?: \w+){0,3} (?:gì|những gì)",
        ],
        "ja": [
            r"(?:何|なに)(?:が|を)(?:でき|手伝|教え|聞け|きけ|質問でき|お願いでき|して(?:もら|くれ))",
            r"どんな(?:こと|質問|内容|テーマ)(?:を|が|に)?(?:質問|聞|き|尋ね|答え|相談)",
            r"(?:あなた|君)は(?:誰|だれ|何|なに)",
            r"使い方",
            r"ヘルプ",
            r"何について",
        ],
    },
}

# Words that carry nothing once the phrases are gone ("저한테", "for me", "bot").
_FILLER = frozenset(
    """
    bot assistant there me us please ok okay so again you chatbot great good nice perfect awesome
    chat here 챗봇 채팅 여기 볼 チャット ボット ここ では ở đây
    cool very much lot help helpful info information all that this really actually that's got it
    저한테 저에게 저희에게 나한테 저는 제가 저희 혹시 그럼 그리고 요 ㅎㅎ ㅋㅋ 있어요 있나요 있습니까 있어
    bạn ơi nhé nha ạ với nhiều lắm
    あなた 君 ボット よろしく お願い します
    """.split()
)

# The same words as keyword tokens, for scripts without spaces ("このチャットでは").
_FILLER_TOKENS = frozenset(t for word in _FILLER for t in tokenize(word, drop_stopwords=False))
# Every phrase compiled once, capability first (it may contain a greeting word).
_COMPILED = [
    (intent, re.compile(pattern))
    for intent in ("capability", "thanks", "greeting")
    for patterns in _PHRASES[intent].values()
    for pattern in patterns
]
# A greeting or thanks opening a question ("안녕하세요, 주소가 …"), with its punctuation.
_LEADING = [
    re.compile(rf"^\s*(?:{pattern})[\s,.!~。、！]*")
    for intent in ("greeting", "thanks")
    for patterns in _PHRASES[intent].values()
    for pattern in patterns
]

_REPLIES: dict[str, dict[str, str]] = {
    "intro": {
        "en": "I'm the assistant of Seoul Startup Hub Ho Chi Minh. I answer from the programme's documents on:",
        "ko": "서울창업허브 호치민 안내 도우미입니다. 다음 주제의 프로그램 문서를 바탕으로 답변드립니다:",
        "vi": "Tôi là trợ lý của Seoul Startup Hub Ho Chi Minh. Tôi trả lời dựa trên tài liệu của chương trình về:",
        "ja": "ソウル創業ハブ・ホーチミンのアシスタントです。次のテーマのプログラム資料をもとにお答えします:",
    },
    "hello": {
        "en": "Hello!",
        "ko": "안녕하세요!",
        "vi": "Xin chào!",
        "ja": "こんにちは！",
    },
    "examples": {
        "en": "You could ask, for example:",
        "ko": "예를 들어 이렇게 물어보세요:",
        "vi": "Bạn có thể hỏi, ví dụ:",
        "ja": "たとえば、こんな質問ができます:",
    },
    "more": {
        "en": "… and {n} more",
        "ko": "… 외 {n}개",
        "vi": "… và {n} chủ đề khác",
        "ja": "… ほか{n}件",
    },
    "staff": {
        "en": "For anything the documents do not cover, I can pass your question to the hub staff.",
        "ko": "문서에 없는 내용은 허브 직원에게 질문을 전달해 드릴 수 있습니다.",
        "vi": "Với những gì tài liệu chưa đề cập, tôi có thể chuyển câu hỏi của bạn cho nhân viên của hub.",
        "ja": "資料にない内容は、ハブのスタッフに質問をお伝えできます。",
    },
    "thanks": {
        "en": "You're welcome! Ask me anything else about the hub and expanding to Vietnam.",
        "ko": "천만에요! 허브나 베트남 진출에 대해 더 궁금한 점이 있으면 언제든 물어보세요.",
        "vi": "Không có gì! Bạn cứ hỏi thêm về hub và việc mở rộng sang Việt Nam nhé.",
        "ja": "どういたしまして！ハブやベトナム進出について、ほかにも何でも聞いてください。",
    },
}

# How small talk is phrased, to recognise wordings the phrase table misses by meaning (the
# message's embedding against these). Written generically, one line per way of asking.
EXEMPLARS: dict[str, dict[str, list[str]]] = {
    "capability": {
        "en": [
            "What can you do?", "How can you help me?", "What kind of questions can I ask you?",
            "What do you know about?", "What is this chatbot for?", "Who are you?",
            "What topics can you answer?", "What services can you help me with?",
        ],
        "ko": [
            "무엇을 도와줄 수 있나요?", "어떤 질문을 할 수 있어요?", "너는 뭘 알아?", "이 챗봇은 뭐 하는 거예요?",
            "당신은 누구세요?", "어떤 주제에 답할 수 있어요?", "뭘 물어보면 돼요?", "어떤 도움을 받을 수 있나요?",
        ],
        "vi": [
            "Bạn có thể giúp gì cho tôi?", "Tôi có thể hỏi bạn những câu gì?", "Bạn biết những gì?",
            "Chatbot này dùng để làm gì?", "Bạn là ai?", "Bạn trả lời được những chủ đề nào?",
            "Bạn hỗ trợ được việc gì?", "Tôi nên hỏi gì ở đây?",
        ],
        "ja": [
            "何を手伝ってもらえますか？", "どんな質問ができますか？", "何を知っていますか？",
            "このチャットボットは何のためのものですか？", "あなたは誰ですか？", "どんなテーマに答えられますか？",
            "何を聞けばいいですか？", "どんなサポートが受けられますか？",
        ],
    },
    "greeting": {
        "en": ["Hello", "Hi, good morning", "Hey there, nice to meet you"],
        "ko": ["안녕하세요", "반갑습니다", "안녕하세요, 처음 왔어요"],
        "vi": ["Xin chào", "Chào bạn, rất vui được gặp", "Chào buổi sáng"],
        "ja": ["こんにちは", "はじめまして、よろしくお願いします", "おはようございます"],
    },
    "thanks": {
        "en": ["Thank you very much", "Thanks, that was helpful", "Great, thanks a lot"],
        "ko": ["감사합니다", "고마워요, 도움이 많이 됐어요", "알겠습니다, 감사해요"],
        "vi": ["Cảm ơn bạn nhiều", "Cảm ơn, rất hữu ích", "Ok, cảm ơn nhé"],
        "ja": ["ありがとうございます", "助かりました、ありがとう", "了解です、ありがとうございました"],
    },
}

MAX_TOPICS = 6
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 80

Documents = dict[str, list[tuple[str, str, list[str]]]]


@dataclass(frozen=True)
class SmallTalk:
    """A recognised small-talk message: its intent and what is left once it is removed."""

    intent: str  # "greeting" | "thanks" | "capability" | "" (a question with a greeting)
    remainder: str


def _text(key: str, lang: str) -> str:
    table = _REPLIES[key]
    return table.get(lang, table["en"])


def classify(message: str) -> SmallTalk | None:
    """Recognise small talk.

    Returns None for an ordinary question; SmallTalk("", remainder) for a question that
    opens with a greeting (answer ``remainder``); otherwise the intent to reply to.
    """
    text = unicodedata.normalize("NFC", message).lower()
    found: list[str] = []
    rest = text
    for intent, pattern in _COMPILED:
        rest, count = pattern.subn(" ", rest)
        if count and intent not in found:
            found.append(intent)
    if not found:
        return None
    left = [t for t in tokenize(rest) if t not in _FILLER_TOKENS]
    if left and not asks(rest) and "greeting" in found:
        # "はじめまして！韓国でSaaSをやっている者です。": a greeting with an introduction, no question.
        return SmallTalk("greeting", "")
    if left:
        # Words are left: a question. Only a leading greeting or thanks is dropped.
        if "capability" in found:
            return None
        question = _strip_greeting(text)
        return SmallTalk("", question) if question != text.strip() else None
    return SmallTalk(found[0], "")


class IntentMatcher:
    """Nearest small-talk exemplar to a message, by embedding (loaded on first use)."""

    def __init__(self, embed_questions: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed = embed_questions
        self._vectors: np.ndarray | None = None
        self._intents: list[str] = []

    def _load(self) -> np.ndarray:
        if self._vectors is None:
            texts, intents = [], []
            for intent, by_language in EXEMPLARS.items():
                for examples in by_language.values():
                    texts.extend(examples)
                    intents.extend([intent] * len(examples))
            self._vectors = np.asarray(self._embed(texts), dtype=np.float32)
            self._intents = intents
        return self._vectors

    def nearest(self, vector: np.ndarray) -> tuple[str, float]:
        """The closest exemplar's intent and its cosine similarity."""
        sims = self._load() @ vector
        best = int(np.argmax(sims))
        return self._intents[best], float(sims[best])


def asks(text: str) -> bool:
    """Whether text asks something: a question mark or a question word in any language."""
    return "?" in text or "？" in text or bool(WH_WORDS.search(text))


def _strip_greeting(text: str) -> str:
    stripped = text
    for pattern in _LEADING:
        stripped = pattern.sub("", stripped)
    return stripped.strip()


def reply(intent: str, lang: str, documents: Documents) -> str:
    """The reply to a small-talk intent, built from the indexed documents' titles and headings."""
    if intent == "thanks":
        return _text("thanks", lang)
    ranked = _main_topics_first(lang, documents)
    titles = [title for _, title, _ in ranked if title]
    lines = [_text("hello", lang) + " " + _text("intro", lang)] if intent == "greeting" else [
        _text("intro", lang)
    ]
    lines += [f"• {title}" for title in titles[:MAX_TOPICS]]
    if len(titles) > MAX_TOPICS:
        lines.append(_text("more", lang).format(n=len(titles) - MAX_TOPICS))
    examples = list(_examples(ranked, MAX_EXAMPLES))
    if examples:
        lines.append("")
        lines.append(_text("examples", lang))
        lines += [f"• {q}" for q in examples]
    lines.append("")
    lines.append(_text("staff", lang))
    return "\n".join(lines)


def example_questions(lang: str, documents: Documents, limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to ``limit`` questions a founder could ask: question-like headings of the documents
    in ``lang`` (English, else any language, when there are none), main topics first."""
    return list(_examples(_main_topics_first(lang, documents), limit))


def _main_topics_first(lang: str, documents: Documents) -> list[tuple[str, str, list[str]]]:
    """The documents in ``lang`` (else English, else any), those with most sections first:
    they are the programme's main topics."""
    docs = documents.get(lang) or documents.get("en") or next(iter(documents.values()), [])
    return sorted(docs, key=lambda d: (-len(d[2]), d[1]))


def _examples(docs: Iterable[tuple[str, str, list[str]]], limit: int) -> Iterable[str]:
    """One short question-like heading from each of the first documents."""
    if limit <= 0:
        return
    count = 0
    for _, _, headings in docs:
        for heading in headings:
            if len(heading) <= MAX_EXAMPLE_CHARS and heading.rstrip().endswith(("?", "？")):
                yield heading
                count += 1
                break
        if count >= limit:
            return
