"""BM25 keyword index over the same chunks as the vector store, tokenised for ko / ja / vi / en."""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from importlib import resources

import numpy as np

from bot.rag.text import (
    _HAN,
    _KO_STOP_BIGRAMS,
    STOPWORDS,
    WH_WORDS,
    _bigrams,
    _stem_en,
    _strip_korean_ending,
    strip_diacritics,
    tokenize,
    two_readings,
)

_CJK = re.compile(r"[\uac00-\ud7a3\u3041-\u30ff\u4e00-\u9fff]")

_LATIN_WORD = re.compile(r"\b[a-z]{3,}\b")
_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
# A katakana word (loanwords and foreign names: ロボット, サムスン); "・" separates words.
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa\u30fc]{3,}")
# Vowels Koreans confuse when typing (ㅐ/ㅔ, ㅒ/ㅖ, ㅙ/ㅚ/ㅞ), as medial indices of a syllable.
_CONFUSED_VOWELS = ((1, 5), (3, 7), (10, 11, 15))


def _vowel_variants(syllable: str) -> list[str]:
    """The syllable with its vowel swapped for one Koreans confuse it with ("택" → "텍")."""
    code = ord(syllable) - 0xAC00
    medial = (code % 588) // 28
    return [
        chr(ord(syllable) + (other - medial) * 28)
        for group in _CONFUSED_VOWELS
        if medial in group
        for other in group
        if other != medial
    ]
# English question words are stop words (never in the index), yet a typo in one ("wher",
# "whta") leaves a word no document uses, which reads as out of scope: they are repaired too.
_QUESTION_WORDS = frozenset(
    w for w in STOPWORDS if w.isascii() and w.isalpha() and len(w) >= 3
)


@functools.cache
def english_words() -> frozenset[str]:
    """A dictionary of English words (lower case, three letters or more): the whole-word
    entries of the BERT uncased WordPiece vocabulary (Apache-2.0, the vocabulary of the
    packaged all-MiniLM-L6-v2), shipped as ``data/english-words.txt``. A word in it is what
    the founder meant, not a typo of a corpus word: "parking" is not "pairing", "weather"
    not "whether"."""
    text = resources.files("bot.rag").joinpath("data/english-words.txt").read_text("utf-8")
    return frozenset(text.split())


def _delete_index(words: Iterable[str]) -> dict[str, set[str]]:
    """SymSpell-style: every word and its one-letter deletions → the words they come from."""
    index: dict[str, set[str]] = defaultdict(set)
    for word in words:
        index[word].add(word)
        for variant in _deletes(word):
            index[variant].add(word)
    return index



UNSEEN_WEIGHT = 2.0


_VI_MARK = re.compile(
    r"[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE
)
_WORD = re.compile(r"\w+")


def _accent_maps(
    texts: Sequence[str],
) -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    """Plain form → (most frequent accented form, its count), for Vietnamese words and pairs."""
    word_counts: dict[str, Counter[str]] = defaultdict(Counter)
    pair_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        if not _VI_MARK.search(text):
            continue
        words = [w.lower() for w in _WORD.findall(text)]
        for word in words:
            if _VI_MARK.search(word):
                word_counts[strip_diacritics(word)][word] += 1
        for a, b in itertools.pairwise(words):
            if _VI_MARK.search(a) or _VI_MARK.search(b):
                pair_counts[f"{strip_diacritics(a)} {strip_diacritics(b)}"][f"{a} {b}"] += 1
    words_map = {plain: forms.most_common(1)[0] for plain, forms in word_counts.items()}
    pairs_map = {plain: forms.most_common(1)[0] for plain, forms in pair_counts.items()}
    return words_map, pairs_map


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _nearby(word: str, index: dict[str, set[str]]) -> set[str]:
    """Words of a delete index (``_delete_index``) that share a one-letter deletion with
    ``word`` and differ from it in length by at most one (a superset of one edit away)."""
    options = set(index.get(word, ()))
    for variant in _deletes(word):
        options |= index.get(variant, set())
    return {o for o in options if abs(len(o) - len(word)) <= 1}


def _one_edit(a: str, b: str) -> bool:
    """Whether two different words are one insertion, deletion or substitution apart."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return len(long) - len(short) == 1 and short in _deletes(long)


_QUESTION_WORD_DELETES = _delete_index(_QUESTION_WORDS)


def _one_question_word(candidates: set[str]) -> str | None:
    """The one candidate, else the one question word among them: "wat" is one letter from
    both "what" and "want", and a typed question opens with the question word."""
    if len(candidates) == 1:
        return next(iter(candidates))
    asking = {c for c in candidates if WH_WORDS.fullmatch(c)}
    return next(iter(asking)) if len(asking) == 1 else None


def _cjk(token: str) -> bool:
    """A bigram of a Korean or Japanese word (as ``tokenize`` makes them)."""
    return len(token) == 2 and all(_CJK.match(ch) for ch in token)


def word_groups(tokens: Sequence[str]) -> list[list[str]]:
    """The question's words, each as the tokens it was split into: a Korean or Japanese
    word's overlapping bigrams ("サイゴンハイテクパーク" → 10 bigrams), or a Vietnamese
    word and its form without diacritics. Word pairs ("charge_natec") are left out.

    Weighing words rather than tokens keeps a long name typed in Hangul or katakana from
    outweighing the short word that says what is asked ("…パークの面積は?" is about 面積).
    """
    groups: list[list[str]] = []
    for token in dict.fromkeys(t for t in tokens if "_" not in t):
        if groups:
            last = groups[-1][-1]
            chained = _cjk(last) and _cjk(token) and last[1] == token[0]
            plain_form = token != last and strip_diacritics(last) == token
            if chained or plain_form or two_readings(last, token):
                groups[-1].append(token)
                continue
        groups.append([token])
    return groups


def _without_junctions(chain: list[str], covered: set[str]) -> list[str]:
    """A chain of CJK bigrams without the bigrams that only join two covered words: in
    "直接質問" (直接, 接質, 質問) or "법인세율" (법인, 인세, 세율) the middle bigram straddles the
    boundary of two words the text has; it is no word of its own, and missing it says nothing."""
    return [
        t
        for i, t in enumerate(chain)
        if not (
            0 < i < len(chain) - 1
            and t not in covered
            and chain[i - 1] in covered
            and chain[i + 1] in covered
        )
    ]


def _alternatives(group: list[str]) -> bool:
    """A word and its plain spelling, or a word's two readings (either counts), not a chain
    of bigrams (each counts)."""
    return len(group) == 2 and (not _cjk(group[0]) or two_readings(*group))


class KeywordIndex:
    """An immutable BM25 index (bm25s) plus document frequencies for query coverage."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import; its index messages are noise here.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = list(ids)
        token_lists = [tokenize(text) for text in texts]
        self._token_sets = [frozenset(tokens) for tokens in token_lists]
        self._df: Counter[str] = Counter()
        for tokens in self._token_sets:
            self._df.update(tokens)
        self._vocabulary = frozenset(self._df)
        # What counts as a word the documents use: their tokens, and each kanji of their
        # Japanese words — a one-kanji word is a verb's stem cut from its okurigana ("閉" of
        # 閉まった, "作" of 作りたい), seen when a document word has it (閉鎖, 作成).
        self._seen = self._vocabulary | {
            ch for t in self._vocabulary if _cjk(t) for ch in t if _HAN.match(ch)
        }
        self._n = len(self.ids)
        self._bm25 = None
        if self._n:
            self._bm25 = bm25s.BM25()
            # bm25s needs at least one token per document.
            self._bm25.index([tokens or ["\u2205"] for tokens in token_lists], show_progress=False)
        self._position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        # Vietnamese typed without diacritics ("hub o dau"): the corpus's own spelling of each
        # plain word and word pair, most frequent first ("dau tu" → "đầu tư", "o" → "ở").
        self._accents = _accent_maps(texts)
        # Spelling variants one edit away (SymSpell-style delete index) of the corpus's words
        # as written, not their stems: "servcies" is one edit from "services" but two from
        # the stem "servic", so a stem index would leave it unseen (read as out of scope).
        self._surface: Counter[str] = Counter(
            w for text in texts for w in _LATIN_WORD.findall(text.lower()) if w.isascii()
        )
        self._by_delete = _delete_index(self._surface)
        # The same for the corpus's katakana words ("ロボト" → "ロボット", "サムソン" → "サムスン").
        self._katakana: Counter[str] = Counter(
            w for text in texts for w in _KATAKANA_WORD.findall(text)
        )
        self._katakana_by_delete = _delete_index(self._katakana)

    def __len__(self) -> int:
        return self._n

    def uses(self, token: str) -> bool:
        """Whether any chunk has the token."""
        return token in self._df

    def idf(self, token: str) -> float:
        """Inverse document frequency; a word the corpus never uses weighs UNSEEN_WEIGHT times
        the rarest seen word — it is the strongest sign that the documents do not cover it."""
        df = self._df.get(token, 0)
        if df == 0:
            return UNSEEN_WEIGHT * math.log(1.0 + (self._n + 1) / 1.5)
        return math.log(1.0 + (self._n + 1) / (df + 0.5))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens."""
        if self._bm25 is None or not query_tokens:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(query_tokens)), dtype=np.float32)

    def search(self, query_tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """Top-k chunk ids by BM25 (only positive scores)."""
        return self._top(self.scores(query_tokens), k)

    def search_weighted(
        self, tokens: Sequence[str], extra: Sequence[tuple[Sequence[str], float]], k: int
    ) -> list[tuple[str, float]]:
        """Top-k by BM25 of ``tokens`` plus, for each (tokens, weight) in extra, weight × BM25."""
        return self._top(self.weighted_scores(tokens, extra), k)

    def weighted_scores(
        self, tokens: Sequence[str], extra: Sequence[tuple[Sequence[str], float]]
    ) -> np.ndarray:
        """BM25 of the typed tokens plus weighted BM25 of each group of expansion tokens."""
        scores = self.scores(tokens)
        for group, weight in extra:
            if group and weight:
                scores = scores + weight * self.scores(group)
        return scores

    def _top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def coverage(
        self,
        query_tokens: Sequence[str],
        chunk_id: str,
        synonyms: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> float:
        """IDF-weighted share of the query's word tokens that occur in the chunk (0..1)."""
        if chunk_id not in self._position:
            return 0.0
        return self.overlap(query_tokens, self._token_sets[self._position[chunk_id]], synonyms)

    def tokens_of(self, rows: Iterable[int]) -> frozenset[str]:
        """The keyword tokens of the chunks at ``rows`` together (a whole document's)."""
        return frozenset().union(*(self._token_sets[row] for row in rows))

    def overlap(
        self,
        query_tokens: Sequence[str],
        present: frozenset[str] | set[str],
        synonyms: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> float:
        """IDF-weighted share of the query's word tokens found among ``present`` (a chunk's or
        a sentence's tokens, or the whole vocabulary).

        Word pairs ("charge_natec") are left out: a rephrased question rarely repeats the
        document's word order, and unseen pairs would drown the words that do match.
        ``synonyms`` are (tokens of a glossary form in the query, tokens of all its forms):
        the former count as present when any form is present ("mét vuông" ~ "m²").
        """
        groups = word_groups(query_tokens)
        if not groups:
            return 0.0
        unique = {t for group in groups for t in group}
        covered = {t for t in unique if t in present}
        for typed, forms in synonyms:
            if forms & present:
                covered |= typed & unique
        total = found = 0.0
        for group in groups:
            either = _alternatives(group)
            if not either:
                group = _without_junctions(group, covered)
            weight = sum(self.idf(t) for t in group) / len(group)
            total += weight
            if either:
                found += weight if covered & set(group) else 0.0
            else:
                found += weight * sum(t in covered for t in group) / len(group)
        return found / total if total else 0.0

    def unseen_share(
        self,
        query_tokens: Sequence[str],
        synonyms: Sequence[tuple[frozenset[str], frozenset[str]]] = (),
    ) -> float:
        """IDF-weighted share of the query's words that no chunk uses (glossary forms whose
        synonyms occur count as seen): the plainest sign a question is out of scope."""
        if not any("_" not in t for t in query_tokens):
            return 0.0
        return 1.0 - self.overlap(query_tokens, self._seen, synonyms)

    def settle_readings(self, tokens: Sequence[str]) -> list[str]:
        """A question's tokens with each two-way Korean word ("면" / "면적", "받" / "받을") read
        the way the documents use it more: the documents' words are indexed both ways, but a
        question counts each word once."""
        out: list[str] = []
        for token in tokens:
            if out and two_readings(out[-1], token):
                if self._df[token] > self._df[out[-1]]:
                    out[-1] = token
                continue
            out.append(token)
        return out

    def unseen_words(self, query_tokens: Sequence[str]) -> list[str]:
        """The query's words no chunk uses: a Korean or Japanese word counts as seen when any
        of its bigrams is ("인증받은" shares "인증" with the documents: endings glue to the
        stem; a one-kanji word when a document word has the kanji), so only words wholly
        foreign to the documents count ("강아지를", "天気")."""
        return [
            group[0]
            for group in word_groups(query_tokens)
            if not any(t in self._seen for t in group)
        ]

    def unseen_pair_share(self, query_tokens: Sequence[str]) -> float:
        """Share of the query's word pairs ("thu_nhap", "share_price") that no chunk uses:
        in Vietnamese a pair is often one word, whose syllables alone are common."""
        pairs = {t for t in query_tokens if "_" in t}
        if not pairs:
            return 0.0
        return sum(1 for t in pairs if t not in self._vocabulary) / len(pairs)

    def restore_diacritics(self, text: str) -> str:
        """Vietnamese written without diacritics, with the corpus's diacritics put back: each
        word takes its spelling from the more frequent corpus pair it is part of ("o dau" →
        "ở đâu", "dau tu" → "đầu tư"), else its most frequent spelling alone. Text that has
        any diacritic is returned unchanged."""
        if _VI_MARK.search(text):
            return text
        words, pairs = self._accents
        tokens = re.findall(r"\w+|\W+", text)
        positions = [i for i, t in enumerate(tokens) if t[:1].isalnum()]
        chosen: dict[int, tuple[int, str]] = {}  # position -> (evidence count, spelling)
        for a, b in itertools.pairwise(positions):
            if b != a + 2 or tokens[a + 1].strip():
                continue
            found = pairs.get(f"{tokens[a].lower()} {tokens[b].lower()}")
            if found is None:
                continue
            form, count = found
            first, second = form.split(" ")
            for position, spelling in ((a, first), (b, second)):
                if count > chosen.get(position, (0, ""))[0]:
                    chosen[position] = (count, spelling)
        out = list(tokens)
        for i in positions:
            if i in chosen:
                out[i] = chosen[i][1]
            elif tokens[i].lower() in words:
                out[i] = words[tokens[i].lower()][0]
        return "".join(out)

    def correct_spelling(self, text: str, *, english: bool = True) -> str:
        """Replace Latin words unknown to the corpus by the most frequent corpus word one
        edit away ("adress" → "address", "servcies" → "services"), or by the English question
        word one edit away ("wher" → "where", "teh" → "the"); other text is unchanged. Words of
        three letters are repaired to question words only, of four letters (``english``) to a
        corpus word only when it is the one word with a letter more ("ofer" → "offer").
        Real words of four letters or more are never repaired: English dictionary words
        ("parking" is not a typo of "pairing") and Vietnamese words typed without diacritics
        ("khong" for "không")."""

        dictionary = english_words()
        plain_vietnamese = self._accents[0]

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if _stem_en(word) in self._df or word in self._df or word in _QUESTION_WORDS:
                return word
            if len(word) == 3:
                # "teh" → "the", "wat" → "what"; not "pho" → "who" ("cua", "gom": Vietnamese
                # typed without diacritics are not typos at all).
                near = {
                    q
                    for q in _QUESTION_WORDS
                    if english and (sorted(q) == sorted(word) or word in _deletes(q))
                }
                return _one_question_word(near) or word
            if word in dictionary or word in plain_vietnamese:
                return word
            corpus = _nearby(word, self._by_delete) if len(word) >= 4 else set()
            if len(word) == 4:
                # Too many short words are one edit apart ("bank"/"back"): in English only a
                # dropped letter with one candidate ("ofer" → "offer"); never in Vietnamese
                # typed without diacritics, whose short plain words are not typos.
                corpus = {o for o in corpus if english and word in _deletes(o)}
                corpus = corpus if len(corpus) == 1 else set()
            if corpus:
                return max(corpus, key=lambda o: (self._surface[o], o))
            questions = _nearby(word, _QUESTION_WORD_DELETES)
            # A dropped letter is the likeliest typo: "wher" is "where" rather than "when".
            dropped = {q for q in questions if word in _deletes(q)}
            choice = dropped if len(dropped) == 1 else questions
            return _one_question_word(choice) or word

        return _LATIN_WORD.sub(fix, text.lower())

    def correct_hangul(self, text: str) -> str:
        """Replace a Korean word the corpus does not use by the one corpus word that differs
        in a vowel Koreans confuse when typing ("휴택" → "휴텍", "테크트래이드" → "테크트레이드");
        its ending is kept. Other text is unchanged."""

        def known(stem: str) -> bool:
            return all(g in self._df or g in _KO_STOP_BIGRAMS for g in _bigrams(stem))

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            stem = word
            for _ in range(3):  # "휴택이랑도": 이랑 and 도
                shorter = _strip_korean_ending(stem)
                if shorter == stem or len(shorter) < 2:
                    break
                stem = shorter
            if len(stem) < 2 or known(stem):
                return word
            options = {
                stem[:i] + variant + stem[i + 1 :]
                for i, syllable in enumerate(stem)
                for variant in _vowel_variants(syllable)
            }
            found = [o for o in options if known(o)]
            return found[0] + word[len(stem) :] if len(found) == 1 else word

        return _HANGUL_WORD.sub(fix, text)

    def correct_katakana(self, text: str) -> str:
        """Replace a katakana word the corpus does not use by the one corpus katakana word one
        edit away: a dropped or extra "ッ"/"ー", a confused kana ("ロボト" → "ロボット",
        "サムソン" → "サムスン"). A word whose bigrams the corpus all has (part of a longer
        word: "テックトレード") is known; shorter words are left alone (too many are one kana
        apart). Other text is unchanged."""

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if len(word.replace("ー", "")) < 3 or all(g in self._df for g in _bigrams(word)):
                return word
            options = {
                o for o in _nearby(word, self._katakana_by_delete) if _one_edit(o, word)
            }
            return options.pop() if len(options) == 1 else word

        return _KATAKANA_WORD.sub(fix, text)

    def position(self, chunk_id: str) -> int | None:
        """Row of a chunk id in the index."""
        return self._position.get(chunk_id)
