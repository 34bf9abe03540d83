"""Language detection, keyword tokenisation and sentence splitting for ko / ja / vi / en.

Tokenisation is built for the four languages founders write in, without a dictionary:
- Korean: particles attach to nouns ("허브의", "허브는"), so Hangul runs become character
  bigrams (plus the run itself when short): "허브의" → 허브, 브의 and "허브" still matches.
- Japanese: no spaces, so kana/kanji runs become character bigrams.
- Vietnamese: words are space-separated syllables; syllable bigrams capture compounds
  ("khởi nghiệp"), and diacritic-free forms are added so "khoi nghiep" still matches.
- English: lower-cased words with a tiny suffix-stripping stemmer.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_VI_MARKS = re.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE
)
_VI_WORDS = frozenset(
    ["của", "và", "là", "có", "không", "được", "cho", "những", "các", "với", "trong", "tôi", "bạn", "thế", "nào", "gì", "đâu", "ở", "bao", "nhiêu", "khong", "duoc", "nhung", "cac", "voi", "trong", "toi", "ban", "nao", "gi", "dau", "o", "bao", "nhieu", "cua", "ho", "tro", "thanh", "lap", "nam", "dang", "ky", "su", "dung", "nhu", "hoi", "biet", "muon", "lam", "sao", "phap", "nhan", "doanh", "nghiep", "cong", "ty", "truong", "dai", "hoc", "hop", "tac", "dieu", "kien", "dia", "rong", "nguoi", "viet", "thi", "truong", "dien", "thue", "khi", "mot", "nhieu", "duoc", "khoi", "nghiep"]
)
_EN_WORDS = frozenset(
    ["the", "is", "are", "was", "what", "how", "where", "when", "who", "which", "why", "do", "does", "did", "can", "could", "i", "we", "you", "my", "our", "your", "a", "an", "to", "of", "in", "on", "for", "and", "or", "with", "there", "this", "that", "it", "be", "have", "has", "about", "tell", "me", "any", "many", "much", "please", "from", "at", "by"]
)

# One token pattern: runs of CJK (Hangul, kana, Han) or runs of letters/digits.
_TOKEN = re.compile(
    r"[\uac00-\ud7a3]+|[\u3040-\u30fa\u30fc-\u30ff\u4e00-\u9fff]+"
    r"|[^\W_\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]+"
    r"(?:[.,'’][^\W_\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]+)*",
    re.UNICODE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")

# Question words that carry no topic: left out of keyword scoring and coverage.
STOPWORDS = frozenset(
    ["a", "an", "the", "of", "to", "in", "on", "at", "for", "is", "are", "was", "were", "be", "been", "do", "does", "did", "can", "could", "would", "should", "will", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "much", "many", "there", "their", "they", "them", "it", "its", "this", "that", "these", "those", "i", "we", "you", "our", "your", "my", "me", "us", "and", "or", "but", "if", "with", "about", "from", "by", "as", "into", "than", "then", "so", "please", "tell", "me", "know", "any", "anything", "some", "have", "has", "had", "get", "got", "give", "want", "need", "there's", "what's", "who's", "where's", "how's", "i'm", "i'd", "let", "us", "let's", "also", "just", "more", "most", "very", "어떻게", "무엇", "무엇인가요", "뭐", "뭐예요", "뭔가요", "어디", "어디에", "언제", "누구", "왜", "얼마", "얼마나", "있나요", "있어요", "있습니까", "인가요", "알려", "알려줘", "알려주세요", "주세요", "궁금", "궁금해요", "하나요", "되나요", "돼요", "되요", "할", "수", "수", "있는", "좀", "그리고", "그럼", "이", "가", "은", "는", "을", "를", "의", "에", "도", "와", "과", "로", "뭔데", "뭐지", "뭐야", "là", "gì", "không", "có", "được", "ở", "đâu", "nào", "bao", "nhiêu", "thế", "như", "khi", "nào", "tôi", "chúng", "ta", "bạn", "cho", "hỏi", "của", "và", "các", "những", "một", "với", "trong", "này", "đó", "thì", "sao", "ai"]
)
_JA_STOP_WORDS = frozenset("何 誰 方 事 時 所".split())
_VI_PLAIN_STOPWORDS = frozenset(["o", "dau", "gi", "nao", "khong", "la", "cua", "nhu", "the"])
_JA_STOP_BIGRAMS = frozenset(
    ["です", "ます", "すか", "でし", "した", "ませ", "せん", "くだ", "ださ", "さい", "ので", "につ", "つい", "いて", "とは", "どこ", "こで", "です", "は何", "何で", "ありま", "りまし", "ある", "あり", "はあ", "がで", "でき", "きま", "るの", "のは", "って", "ても", "もら", "らえ", "えま", "のを", "たの", "った", "ったの", "はい", "いつ", "つで", "つま", "まで", "でに", "すか", "には"]
)
_KO_STOP_BIGRAMS = frozenset(
    ["어떻", "떻게", "무엇", "엇인", "인가", "가요", "나요", "있나", "있어", "어요", "습니", "니까", "알려", "려주", "주세", "세요", "궁금", "금해", "해요", "하나", "되나", "인지", "는지", "은지", "한가", "한지", "무슨", "어디", "디에", "디인", "언제", "얼마", "마나", "누구", "뭐예", "예요", "뭔가", "어떤", "떤가", "있습", "합니", "입니", "나요", "을까", "할까", "려줘", "해줘", "하는", "하고", "에서", "에는", "으로", "는데"]
)


def strip_diacritics(text: str) -> str:
    """Drop combining marks (and map đ → d) so Vietnamese typed without diacritics matches."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D")


def detect_language(text: str, default: str = "en") -> str:
    """Guess ko / ja / vi / en from the script, which is reliable for these four languages."""
    hangul = len(_HANGUL.findall(text))
    kana = len(_KANA.findall(text))
    han = len(_HAN.findall(text))
    if hangul and hangul >= kana:
        return "ko"
    if kana or han:
        return "ja"
    if _VI_MARKS.search(text):
        return "vi"
    plain = re.sub(r"ho\s*chi\s*minh|hcmc?", " ", text.lower())
    words = re.findall(r"[a-z]+", plain)
    if not words:
        return default
    vi_votes = sum(w in _VI_WORDS for w in words)
    en_votes = sum(w in _EN_WORDS for w in words)
    return "vi" if vi_votes > en_votes else "en"


def _stem_en(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if len(word) > 4 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


# Korean particles and polite endings glued to the last word ("허브의", "열었나요"): stripped
# before bigrams so that "도는" or "디인" do not count as evidence of a topic.
_KO_ENDINGS = tuple(
    sorted(
        """
        은 는 이 가 을 를 의 에 에서 에게 께 한테 으로 로 와 과 도 만 랑 이랑 하고 부터 까지
        에는 에서는 으로는 로는 에도 에서도 이나 나 이며 이고 께서 보다 처럼 마다 조차 밖에
        인가요 인가 인지 인데 나요 까요 가요 어요 아요 여요 예요 에요 이에요 이예요 세요 습니까
        입니까 입니다 습니다 니다 해요 했나요 됐나요 되나요 하나요 있나요 없나요 였나요 었나요
        았나요 겠죠 죠 지요 는지 은지 을까 ㄹ까 할까 된 되는 하는 한 인 적 려면 으려면 면
        좀 세여 해여 에여 예여 나여 가여
        """.split(),
        key=len,
        reverse=True,
    )
)


def _strip_korean_ending(word: str) -> str:
    for ending in _KO_ENDINGS:
        if len(word) > len(ending) and word.endswith(ending):
            return word[: -len(ending)]
    return word


def _japanese_content(run: str) -> list[str]:
    """Kanji and katakana stretches of a Japanese run: hiragana is mostly grammar (particles,
    endings), unless the run has nothing else (a word typed in kana)."""
    parts = re.findall(r"[\u4e00-\u9fff]+|[\u30a1-\u30fa\u30fc-\u30ff]+", run)
    return parts or [run]


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokenize(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Keyword tokens for BM25: CJK bigrams, Latin words, Vietnamese syllable bigrams."""
    text = unicodedata.normalize("NFC", text).lower()
    tokens: list[str] = []
    latin_run: list[str] = []

    def flush_latin() -> None:
        if not latin_run:
            return
        words = [
            w
            for w in latin_run
            if not (drop_stopwords and (w in STOPWORDS or w in _VI_PLAIN_STOPWORDS))
        ]
        for word in words:
            plain = strip_diacritics(word)
            tokens.append(_stem_en(word))
            if plain != word:
                tokens.append(plain)
        # Syllable bigrams for Vietnamese compounds (and English phrases like "tech trade").
        for a, b in itertools.pairwise(words):
            tokens.append(strip_diacritics(f"{a}_{b}"))
        latin_run.clear()

    for match in _TOKEN.finditer(text):
        tok = match.group(0)
        first = tok[0]
        if _HANGUL.match(first):
            flush_latin()
            if drop_stopwords and tok in STOPWORDS:
                continue
            grams = _bigrams(_strip_korean_ending(tok))
            if drop_stopwords:
                grams = [g for g in grams if g not in _KO_STOP_BIGRAMS]
            tokens.extend(grams)
        elif _KANA.match(first) or _HAN.match(first) or first == "ー":
            flush_latin()
            for part in _japanese_content(tok):
                if drop_stopwords and part in _JA_STOP_WORDS:
                    continue
                grams = _bigrams(part)
                if drop_stopwords:
                    grams = [g for g in grams if g not in _JA_STOP_BIGRAMS]
                tokens.extend(grams)
        else:
            tok = tok.replace(",", "") if any(c.isdigit() for c in tok) else tok
            latin_run.append(tok)
    flush_latin()
    return tokens


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences, keeping list items and CJK sentences whole."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]
