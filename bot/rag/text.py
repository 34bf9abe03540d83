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

import datetime
import functools
import itertools
import re
import unicodedata
from collections.abc import Callable

from bot.languages import HAN_SENTENCES, LANGUAGES, UNSUPPORTED

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Han text without kana is Japanese written in kanji ("住所", "面積") unless it holds a character
# only Chinese writes (its particles, pronouns and simplified forms) or is a whole sentence
# (Japanese sentences carry kana): then it is Chinese (HAN_SENTENCES: unsupported today).
_CHINESE_ONLY = re.compile(r"[吗呢么们这哪吧啊个什怎谁您你是没还给让对从边样请问说为几]")
HAN_ONLY_SENTENCE = 10
# Letters of no supported script (Thai, Cyrillic, Arabic, …): alphabetic, and not Latin,
# Hangul (syllables or jamo), kana or Han.
_OTHER_SCRIPT = re.compile(
    r"[^\W\d_A-Za-z\u00c0-\u024f\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a"
    r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]"
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_VI_MARKS = re.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE
)
_VI_WORDS = frozenset(
    ["của", "và", "là", "có", "không", "được", "cho", "những", "các", "với", "trong", "tôi", "bạn", "thế", "nào", "gì", "đâu", "ở", "bao", "nhiêu", "khong", "duoc", "nhung", "cac", "voi", "toi", "ban", "nao", "gi", "dau", "o", "nhieu", "cua", "ho", "tro", "thanh", "lap", "nam", "dang", "ky", "su", "dung", "nhu", "hoi", "biet", "muon", "lam", "sao", "phap", "nhan", "doanh", "nghiep", "cong", "ty", "truong", "dai", "hoc", "hop", "tac", "dieu", "kien", "dia", "rong", "nguoi", "viet", "thi", "dien", "thue", "khi", "mot", "khoi",
     # greetings and thanks typed without marks ("xin chao", "cam on ban")
     "xin", "chao", "cam", "tam"]
)
# Vietnamese phrases typed without marks whose syllables are also English words ("cam on" =
# cảm ơn, thank you): each counts as two Vietnamese words, and its syllables as no English one.
_VI_PLAIN_PHRASES = re.compile(r"\bcam on\b")
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
# A sentence and what ends it: terminal punctuation plus spaces, a CJK full stop, or newlines.
_SENTENCE_PIECE = re.compile(r"(.*?(?:[.!?](?=\s)|[。！？]|(?=\n)|$))(\s*)", re.DOTALL)

# Question words that carry no topic: left out of keyword scoring and coverage.
STOPWORDS = frozenset(
    ["a", "an", "the", "of", "to", "in", "on", "at", "for", "is", "are", "was", "were", "be", "been", "do", "does", "did", "can", "could", "would", "should", "will", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "much", "many", "there", "their", "they", "them", "it", "its", "this", "that", "these", "those", "i", "we", "you", "our", "your", "my", "me", "us", "and", "or", "but", "if", "with", "about", "from", "by", "as", "into", "than", "then", "so", "please", "tell", "know", "any", "anything", "some", "have", "has", "had", "get", "got", "give", "want", "need", "there's", "what's", "who's", "where's", "how's", "i'm", "i'd", "let", "let's", "also", "just", "more", "most", "very", "어떻게", "무엇", "무엇인가요", "뭐", "몇", "아직", "지금", "혹시", "여전히", "계속", "still", "currently", "now", "yet", "anymore", "vẫn", "hiện", "nay", "뭐예요", "뭔가요", "어디", "어디에", "언제", "누구", "왜", "얼마", "얼마나", "있나요", "있어요", "있습니까", "인가요", "알려", "알려줘", "알려주세요", "주세요", "궁금", "궁금해요", "하나요", "되나요", "돼요", "되요", "할", "수", "있는", "좀", "그리고", "그럼", "이", "가", "은", "는", "을", "를", "의", "에", "도", "와", "과", "로", "뭔데", "뭐지", "뭐야", "것", "거", "걸", "건", "되", "주나요", "줘", "줘요", "줄", "주실", "주시나요", "주는", "줍니다", "là", "gì", "không", "có", "được", "ở", "đâu", "nào", "bao", "nhiêu", "thế", "như", "khi", "tôi", "chúng", "ta", "bạn", "cho", "hỏi", "của", "và", "các", "những", "một", "với", "trong", "này", "đó", "thì", "sao", "ai",
     # Vietnamese chat particles and shorthand: tone, not topic ("hub ở đâu vậy ad?").
     "vậy", "nhé", "nha", "ạ", "ơi", "à", "hả", "hở", "đấy", "ấy", "ad", "admin", "ko", "k", "j", "z", "đc", "dc", "mình", "em", "anh", "chị",
     # How sure or how exact the founder wants it: chat, not topic ("who actually runs it?").
     "actually", "exactly", "really", "specifically", "precisely", "basically", "roughly",
     # English chat shorthand ("where are u located", "can u tell me pls"; not "r": R&D).
     "u", "ur", "pls", "plz", "thx", "wanna", "gonna", "im",
     # Asking for help, not what with ("can the hub help me find investors?").
     "find", "looking", "able", "possible",
     # Negations and "next" (the next call, deadline …): grammar and time, not topic.
     "not", "don't", "doesn't", "didn't", "can't", "cannot", "isn't", "aren't", "won't",
     "next", "upcoming",
     # Pronouns: who asks or who is meant, not what is asked (as "we", "our", "this" above).
     "he", "she", "his", "her", "him", "hers", "ours", "yours", "theirs", "mine", "itself",
     "ourselves", "yourself", "yourselves", "themselves", "someone", "something", "anyone",
     "everyone", "everything", "somebody", "anybody", "everybody", "guys", "y'all",
     "저", "제", "나", "너", "그", "저는", "제가", "저도", "저를", "저한테", "나는", "내가", "것도",
     "것은", "것이", "것을",
     "tụi", "bọn", "tớ", "họ", "nó", "đây", "kia",
     # … and their twins: "다음 모집", "이번 모집", "đợt tới", "sắp tới" (next, this, coming)
     "다음", "이번", "tới", "sắp",
     "실제로", "정확히", "구체적으로", "대충", "그냥", "진짜", "정말"]
)
# Korean pronouns and demonstratives, also with a particle ("저희는", "거기서").
_KO_PRONOUNS = frozenset(
    ["저희", "우리", "당신", "그런", "이런", "저런", "그거", "이거", "저거", "그게", "이게", "저게",
     "거기", "여기", "저기", "거기서", "여기서", "저기서", "그쪽", "이쪽", "저쪽"]
)
# 頃: "いつ頃" (about when); 教: "教えて" (tell me); 実際/具体的/正確: how exact, not what.
# 一覧/リスト: "大学の一覧" asks for the answer as a list; the list is not the topic.
# 次/次回/今度/今回: "the next (call)", "this time", as "next" in English.
# 私/弊社/当社/僕 …: pronouns, who asks, not what is asked ("we", "our" in English).
_JA_STOP_WORDS = frozenset(
    "何 誰 方 事 時 所 頃 教 実際 具体的 正確 一覧 リスト 次 次回 今度 今回 "
    "私 弊社 当社 我々 自社 御社 貴社 僕 俺 彼 彼女".split()
)
_VI_PLAIN_STOPWORDS = frozenset(
    ["o", "dau", "gi", "nao", "khong", "la", "cua", "nhu", "the", "vay", "nhe", "nha", "oi", "ha",
     # chat shorthand (besides those in STOPWORDS): hok = không, ntn = như thế nào
     "hok", "ntn", "tui", "bon",
     # stop words typed without their marks, where no word of the documents reads the same
     # ("voi" is only "với"; "ban" is also "Ban quản lý", "chung" also "phát triển chung")
     "ay", "cac", "duoc", "hien", "mot", "sap", "va", "voi"]
)
_JA_STOP_BIGRAMS = frozenset(
    ["です", "ます", "すか", "でし", "した", "ませ", "せん", "くだ", "ださ", "さい", "ので", "につ", "つい", "いて", "とは", "どこ", "こで", "は何", "何で", "ある", "あり", "はあ", "がで", "でき", "きま", "るの", "のは", "って", "ても", "もら", "らえ", "えま", "のを", "たの", "った", "はい", "いつ", "つで", "つま", "まで", "でに", "には"]
)
_KO_STOP_BIGRAMS = frozenset(
    ["어떻", "떻게", "무엇", "엇인", "인가", "가요", "나요", "있나", "있어", "어요", "습니", "니까", "알려", "려주", "주세", "세요", "궁금", "금해", "해요", "하나", "되나", "인지", "는지", "은지", "한가", "한지", "무슨", "어디", "디에", "디인", "언제", "얼마", "마나", "누구", "뭐예", "예요", "뭔가", "어떤", "떤가", "있습", "합니", "입니", "을까", "할까", "려줘", "해줘", "하는", "하고", "에서", "에는", "으로", "는데",
     # "… 얘기해 줘", "…에 대해 설명해 주세요", "소개해 줘", "도와주나요": asking, not a topic
     "얘기", "대해", "관해", "설명", "명해", "소개", "개해", "말해", "도와", "와주", "와줄",
     # "뭘 해줄 수 있나요", "확인해주나요": the auxiliary "해 주다" (do for someone)
     "해주", "해줄", "해준",
     # "협력 대학 목록", "리스트 주세요": the form of the answer, not its topic
     "목록", "리스", "스트"]
)


def strip_diacritics(text: str) -> str:
    """Drop combining marks (and map đ → d) so Vietnamese typed without diacritics matches."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D")


@functools.lru_cache(maxsize=512)
def plain_pattern(pattern: str) -> str:
    """A Vietnamese pattern as founders type it without marks ("khi nào" → "khi nao",
    "cảm ơn" → "cam on"): the one way cues and small-talk phrases get their plain form."""
    return strip_diacritics(pattern)


def detect_language(text: str, default: str = "en") -> str:
    """Guess ko / ja / vi / en from the script, which is reliable for these four languages;
    ``UNSUPPORTED`` for text written in another script (Chinese, Thai, Cyrillic, …)."""
    hangul = len(_HANGUL.findall(text))
    kana = len(_KANA.findall(text))
    han = len(_HAN.findall(text))
    if hangul and hangul >= kana:
        return "ko"
    if kana:
        return "ja"
    latin = len(_LATIN.findall(text))
    if han and (han >= HAN_ONLY_SENTENCE or _CHINESE_ONLY.search(text)):
        if han >= latin:
            return HAN_SENTENCES
    elif han:
        return "ja"
    elif len(_OTHER_SCRIPT.findall(text)) > latin:
        return UNSUPPORTED
    words = re.findall(r"[^\W\d_]+", text)
    # A capitalised word with Vietnamese marks after the first is a name ("Trương Định").
    marked = sum(
        1 for i, w in enumerate(words) if _VI_MARKS.search(w) and not (i and w[:1].isupper())
    )
    english = sum(1 for w in words if w.lower() in _EN_WORDS)
    if marked and marked >= english:
        return "vi"
    plain = re.sub(r"ho\s*chi\s*minh|hcmc?", " ", text.lower())
    # "cam on" is "cảm ơn" typed without marks: its "on" is no English preposition.
    phrases = len(_VI_PLAIN_PHRASES.findall(plain))
    plain = _VI_PLAIN_PHRASES.sub(" ", plain)
    words = re.findall(r"[a-z]+", plain)
    if not words and not phrases:
        return default
    vi_votes = sum(w in _VI_WORDS for w in words) + marked + 2 * phrases
    en_votes = sum(w in _EN_WORDS for w in words)
    # An English question quoting a Vietnamese name ("Is 123 Trương Định the hub?") is English.
    return "vi" if vi_votes > en_votes else "en"


# Clipped forms founders type, as the documents spell them out ("info" is not a typo, so
# spelling repair leaves it; without this it is a word no document uses): English, and the
# shorthand of Vietnamese chat ("trường ĐH", "cty ở VN").
_CLIPPED = {
    "vn": "việt nam",
    "đh": "đại học",
    "cty": "công ty",
    "dn": "doanh nghiệp",
    "sv": "sinh viên",
    "info": "information",
    "uni": "university",
    "unis": "university",
    "govt": "government",
    "gov": "government",
    "dept": "department",
    "intl": "international",
    "mgmt": "management",
    "biz": "business",
}


_VOWELS = frozenset("aeiou")


def _measure(stem: str) -> int:
    """Porter's m: how many vowel-consonant sequences the stem has ("sign" 1, "open" 2); a
    "y" after a consonant is a vowel ("dry")."""
    kinds = ""
    for i, c in enumerate(stem):
        vowel = c in _VOWELS or (c == "y" and i > 0 and stem[i - 1] not in _VOWELS)
        kinds += "v" if vowel else "c"
    return len(re.findall(r"v+c+", kinds))


def _ends_cvc(stem: str) -> bool:
    """Consonant-vowel-consonant at the end, the last not w, x or y ("hop", "bas", "clos")."""
    return (
        len(stem) >= 3
        and stem[-1] not in _VOWELS | {"w", "x", "y"}
        and stem[-2] in _VOWELS
        and stem[-3] not in _VOWELS
    )


@functools.lru_cache(maxsize=65536)
def _stem_en(word: str) -> str:
    """An English word without its inflection: a plural ("startups" → "startup") or a verb's
    "-ed"/"-ing" ("signed", "signing" → "sign"; "located" → "locate"; "applied" → "apply"),
    so a question in the present finds a document in the past (Porter's step 1b).
    Derivations stay apart ("application", "location"): a full Porter2 stemmer cost a train
    question its answer, as did making every plural agree with its singular ("fees"/"fee",
    "deadlines"/"deadline": more sections matched, the margin between topics shrank)."""
    for suffix in ("ies", "es", "s"):
        if len(word) > 4 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    if not word.isascii() or len(word) <= 4:
        return word  # Vietnamese with its marks has no "-ed"/"-ing"
    if word.endswith("ied"):
        return word[:-3] + "y"
    if word.endswith("eed"):
        return word[:-1] if _measure(word[:-3]) > 0 else word
    for suffix in ("ing", "ed"):
        stem = word[: -len(suffix)]
        if not word.endswith(suffix) or len(stem) < 3 or not _VOWELS & set(stem):
            continue
        if stem.endswith(("at", "bl", "iz")):
            return stem + "e"  # "located" → "locate"
        if stem[-1] == stem[-2] and stem[-1] not in _VOWELS | {"l", "s", "z"}:
            return stem[:-1]  # "planned" → "plan"
        if _measure(stem) == 1 and _ends_cvc(stem):
            return stem + "e"  # "based" → "base", "closed" → "close"
        return stem
    return word


# Korean particles. Alone, a particle is what is left of "서울창업허브랑" once the programme's
# name is taken out: grammar, not a word the documents fail to use.
_KO_PARTICLES = frozenset(
    """
    은 는 이 가 을 를 의 에 에서 에게 께 한테 으로 로 와 과 도 만 랑 이랑 하고 부터 까지
    에는 에서는 으로는 로는 에도 에서도 이나 나 이며 이고 께서 보다 처럼 마다 조차 밖에
    """.split()
)
# Korean particles and polite endings glued to the last word ("허브의", "열었나요"): stripped
# before bigrams so that "도는" or "디인" do not count as evidence of a topic.
_KO_ENDINGS = tuple(
    sorted(
        _KO_PARTICLES.union(
            """
        인가요 인가 인지 인데 나요 까요 가요 어요 아요 여요 예요 에요 이에요 이예요 세요 습니까
        입니까 입니다 습니다 니다 해요 했나요 됐나요 되나요 하나요 있나요 없나요 였나요 었나요
        았나요 겠죠 죠 지요 는지 은지 을까 ㄹ까 할까 된 되는 하는 한 인 적 려면 으려면 면
        좀 세여 해여 에여 예여 나여 가여 은요 는요
        """.split()
        ),
        key=len,
        reverse=True,
    )
)


def _strip_korean_ending(word: str) -> str:
    for ending in _KO_ENDINGS:
        if len(word) > len(ending) and word.endswith(ending):
            return word[: -len(ending)]
    return word


# Light verbs glued to a noun once the ending is gone ("지원받았어요" → "지원받았" → "지원",
# "방문했나요" → "방문"): their bigrams ("원받", "받았") are no topic. Stripped only when at
# least two syllables remain ("대한" stays).
_KO_LIGHT_VERBS = tuple(
    sorted(
        "받았 받은 받을 받는 받 했 해 한 할 하 됐 된 될 되 시켰 시키".split(), key=len, reverse=True
    )
)


# A question word with a casual ending ("어디야", "얼마냐", "누구임", "언제쯤", "어딨어요"): the
# question's grammar, like the stop words, whatever the ending (a closed class of words).
# "뭘" and "뭣" are "뭐" with its object particle ("뭘 해줄 수 있어요?").
# "누가" is "누구" with its subject particle ("누가 운영해요?").
_KO_QUESTION_FORM = re.compile(
    r"(?:어디|어딘|어딨|얼마|누구|누군|누가|언제|뭐|뭔|뭘|뭣|왜|어때|어떻)[가-힣]{0,2}"
)


# 있다 / 없다 ("there is", "there is not") in any tense once the ending is gone: "있었", "있었던",
# "없" — "언제부터 있었어요?" asks "since when", and 있었 is no topic of any document.
_KO_EXIST = re.compile(r"[있없][가-힣]{0,2}")


# 것 ("the thing") contracted with its particle ("거예요", "건가요", "시작한 게", "어떤 걸"),
# and a light verb left alone once its ending is gone ("했어요", "됐어요", "하는 거예요"; only
# then: "한" on its own may be Korea, as in 한-베): the question's grammar, no topic.
_KO_THING = frozenset("거 건 게 걸 것".split())
_KO_BARE_LIGHT_VERBS = frozenset("했 해 하 됐 되 될 된 할".split())
# The second syllable of a two-syllable light verb with its ending ("되죠", "하는", "해도"),
# not of a noun that starts like one ("할인", "해외": 인 and 외 end no verb).
_KO_VERB_ENDING_SYLLABLES = frozenset("죠 요 어 나 까 고 서 면 니 지 네 도 는")


def _korean_frame(word: str, stem: str) -> bool:
    """Whether a Korean word (``stem`` without its ending) is the question's grammar, not a
    topic: a pronoun and its particle ("저희는", "거기서"), 있다/없다 in any tense ("있었어요",
    "없나요"), 것 contracted ("거예요", "건가요"), or a light verb alone ("했어요", "되죠")."""
    if word in _KO_PRONOUNS or stem in _KO_PRONOUNS or stem in _KO_THING:
        return True
    if _KO_EXIST.fullmatch(stem):
        return True
    return (
        stem != word
        and stem in _KO_BARE_LIGHT_VERBS
        and (len(word) > 2 or word[1] in _KO_VERB_ENDING_SYLLABLES)
    )


def _korean_stem(word: str) -> str:
    """A Korean word without its ending and, after a noun, its light verb."""
    stem = _strip_korean_ending(word)
    for verb in _KO_LIGHT_VERBS:
        if len(stem) - len(verb) >= 2 and stem.endswith(verb):
            return stem[: -len(verb)]
    return stem


_POSSESSIVE = re.compile(r"['’]s?$")
# Punctuation that ends a sentence or a clause: the words on either side are no phrase
# ("…software. Why did Seoul …" has no "software seoul"), so no word pair spans it.
_CLAUSE_BREAK = re.compile(r"[.?!,;:()\[\]{}\"“”…。、，？！：；\n]")
_JA_KANA_QUESTION = re.compile(r"^(?:どこ|いつ|なに|なん|だれ|どう|いくら|どれ|どの|どんな|どちら)")
# A kana run that is a particle on its own ("SBAが", "NATECと": a Latin name cut the run) or
# ends in a polite or connective ending ("まだやってますか", "ほんとですか", "いいので") is the
# sentence's grammar, not a word typed in kana.
_JA_KANA_GRAMMAR = re.compile(
    r"[はがをにでとのもへやか]|から|まで|より|との|とか|って|"
    r".*(?:です|ます|ません|ました|でした|でしょう|ください|ので|けど|ている|てる|たい)(?:か|ね|よ)?"
)


def _japanese_content(run: str) -> list[str]:
    """Kanji and katakana stretches of a Japanese run: hiragana is mostly grammar (particles,
    endings), unless the run has nothing else (a word typed in kana)."""
    parts = re.findall(r"[\u4e00-\u9fff]+|[\u30a1-\u30fa\u30fc-\u30ff]+", run)
    if not parts:
        # "、どこにあるの", "いつですか": a kana run opening with a question word is the
        # question's grammar, not a word typed in kana.
        grammar = _JA_KANA_QUESTION.match(run) or _JA_KANA_GRAMMAR.fullmatch(run)
        return [] if grammar else [run]
    # "何階", "何社", "何年": the question word is not part of the word documents use ("3階").
    return [p[1:] if len(p) > 1 and p[0] in "何幾" else p for p in parts]


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def count_words(tokens: list[str]) -> int:
    """How many content words keyword tokens stand for: a chain of CJK bigrams is one word
    ("キャンパス" → キャ, ャン, ンパ, パス), a Vietnamese syllable and its plain form are one,
    word pairs ("a_b") and question words ("mấy", "몇") none."""
    seen: set[str] = set()
    words = 0
    previous = ""
    for token in tokens:
        plain = strip_diacritics(token)
        if "_" in token or plain in seen:
            previous = token
            continue
        seen.add(plain)
        asks = bool(WH_WORDS.fullmatch(token))
        continues = (
            len(token) == 2 and len(previous) == 2 and not token.isascii()
            and previous[-1] == token[0]
        ) or two_readings(previous, token)  # fmt: skip
        previous = token
        if not (asks or continues):
            words += 1
    return words


def two_readings(stem: str, word: str) -> bool:
    """Whether ``stem`` and ``word`` are the two readings ``tokenize`` keeps of one Korean
    word of two syllables ("면" and "면적"): its first syllable with an ending, or one word."""
    return len(stem) == 1 and len(word) == 2 and word[0] == stem and bool(_HANGUL.match(stem))


def tokenize(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Keyword tokens for BM25: CJK bigrams, Latin words, Vietnamese syllable bigrams."""
    text = unicodedata.normalize("NFC", text).lower()
    tokens: list[str] = []
    latin_run: list[str] = []

    def flush_latin() -> None:
        if not latin_run:
            return
        words = [
            part
            for before, w in zip(["", *latin_run], latin_run, strict=False)
            if not (
                drop_stopwords
                and (
                    w in STOPWORDS
                    or w in _VI_PLAIN_STOPWORDS
                    # "mấy giờ" (what time), "bao giờ" (when): grammar, as 時 in 何時
                    or (strip_diacritics(w) == "gio" and strip_diacritics(before) in ("may", "bao"))
                )
            )
            for part in _CLIPPED.get(w, w).split()
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

    end = 0
    for match in _TOKEN.finditer(text):
        tok = match.group(0)
        first = tok[0]
        if _CLAUSE_BREAK.search(text, end, match.start()):
            flush_latin()  # no word pair across a sentence or clause break
        end = match.end()
        if _HANGUL.match(first):
            flush_latin()
            if drop_stopwords and (
                tok in STOPWORDS or tok in _KO_PARTICLES or _KO_QUESTION_FORM.fullmatch(tok)
            ):
                continue
            if tok.startswith("몇") and len(tok) > 1:
                # "몇개", "몇명", "몇층": the question word is not part of the word documents
                # use ("3개", "53명"), as "何社" is "社" in Japanese.
                tok = tok[1:]
            stem = _korean_stem(tok)
            if drop_stopwords and _korean_frame(tok, stem):
                continue
            # Two syllables whose second could be an ending: a particle after a one-syllable
            # word ("층에", "돈이") or a two-syllable noun ("법인", "면적", "평가"). Both readings
            # are kept, so that "면적" matches "면적은" as "층" matches "층에" — but a light
            # verb is no word of its own ("할인" is not 할 + 인).
            if len(tok) == 2 and len(stem) == 1:
                light_verb = drop_stopwords and stem in _KO_BARE_LIGHT_VERBS
                grams = [tok] if light_verb else [stem, tok]
            else:
                grams = _bigrams(stem)
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
            # "SBA's", "hub's", "when's": the word itself (not "sba'", which no document has).
            tok = _POSSESSIVE.sub("", tok) or tok
            latin_run.append(tok)
    flush_latin()
    return tokens


# A full stop after these does not end a sentence ("Assoc. Prof. Dr Từ …", "TP. HCM", "No. 1").
_ABBREVIATIONS = frozenset(
    "dr prof assoc mr mrs ms st no nos vs etc e.g i.e approx fig co ltd inc jr sr tp q p pp ed".split()
)


def _ends_with_abbreviation(piece: str) -> bool:
    last = piece.rsplit(None, 1)[-1].rstrip(".").lower() if piece.split() else ""
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha() and last.isascii())


_LIST_ITEM = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s")
_CJK_END = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]$")
_CJK_START = re.compile(r"^[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]")
# A line this short without closing punctuation is a title or a label, not a wrapped sentence.
_SHORT_LINE = 50


def _unwrap(text: str) -> str:
    """Join lines a PDF or a plain-text file wrapped mid-sentence; keep paragraph breaks,
    list items, titles and lines that end a sentence."""
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    # A wrapped line fills the text's width; a title or the end of a paragraph does not.
    width = sorted(len(line.strip()) for line in lines)[int(0.9 * (len(lines) - 1))]
    full = max(_SHORT_LINE, int(0.75 * width))
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        previous = out[-1].split("\n")[-1] if out else ""
        if (
            out
            and stripped
            and previous.strip()
            and not _LIST_ITEM.match(stripped)
            and not previous.rstrip().endswith((".", "!", "?", ":", "。", "！", "？", "：", ";"))
            and len(previous.strip().split("\n")[-1]) >= full
        ):
            joiner = "" if _CJK_END.search(previous.rstrip()) and _CJK_START.match(stripped) else " "
            out[-1] = previous.rstrip() + joiner + stripped
        else:
            out.append(line)
    return "\n".join(out)


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences, keeping list items and CJK sentences whole.

    A break is undone when the piece before it ends in an abbreviation or the piece after it
    starts in lower case ("e.g. the hub"): those full stops do not end a sentence.
    """
    sentences: list[str] = []
    glue = False
    text = _unwrap(text)
    for match in _SENTENCE_PIECE.finditer(text):
        piece = match.group(1).strip()
        newline = "\n" in match.group(2)
        if not piece:
            glue = False
            continue
        if glue and sentences and (
            _ends_with_abbreviation(sentences[-1])
            or piece[0].islower()
            or re.fullmatch(r"\d{1,2}\.", sentences[-1])
        ):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
        glue = not newline and sentences[-1][-1:] == "."
    return sentences


# --- what a question asks for, and what a sentence states ---------------------------------------
# Cues per kind and language, from each language's module in bot/languages.
_CUES: dict[str, dict[str, str]] = {
    kind: {lang.code: lang.question_cues[kind] for lang in LANGUAGES if kind in lang.question_cues}
    for kind in ("number", "date", "who", "where", "price", "contact", "upcoming", "deadline", "past")
}
# How to reach someone: a phone number, an e-mail, or the way to ask the staff.
_STATES_CONTACT = re.compile(
    r"\b(?:phone|e-?mail|contact|reach|telegram|chat)|전화|이메일|연락|문의|채팅|電話|メール|連絡|"
    r"問い合わせ|チャット|điện thoại|email|liên hệ|liên lạc|trò chuyện|\+?\d[\d ().-]{7,}\d",
    re.IGNORECASE,
)
# What states a person or a body ("Pham Hong Quat", "headed by", "대표", "所長"), and a place.
_STATES_WHO = re.compile(
    r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,3}\b|\b(?:headed|led|run|operated|"
    r"director|mayor|minister|chief|CEO|president|agency|ministry)\b|대표|원장|장관|시장|센터장|소장|"
    r"기관|giám đốc|thứ trưởng|bộ trưởng|cơ quan|所長|市長|次官|代表|センター長|機関"
)
_STATES_WHERE = re.compile(
    r"\b(?:District|Street|Ward|Road|floor|building|City|Province|located|inside)\b|\d+(?:st|nd|rd|th) floor|"
    r"[0-9]층|층에|건물|구\b|동\b|시에|Quận|Phường|đường|tầng|tòa nhà|thành phố|[0-9]階|区|市|ビル|建物"
)
# A statement that a fact is not known ("… is not published", "공개되어 있지 않습니다",
# "公表されていません", "chưa được công bố"): the honest answer to a question about that fact.
_STATES_UNKNOWN = re.compile(
    r"\b(?:not (?:been )?(?:published|known|confirmed|announced|disclosed)|unknown|"
    r"does not publish|has not been (?:found|published|confirmed)|not in this knowledge base|"
    r"(?:this knowledge base|the documents?) (?:does|do) not (?:say|describe|give|cover))\b|"
    r"공개되어 있지 않|공개되지 않|알려지지 않|확인된 (?:것|바)가? 없|확인되지 않|나와 있지 않|"
    r"지식베이스에 없|알 수 없|"
    r"公表されていな|公表されておら|公表されていません|分かっていな|分かっていません|わかっていな|"
    r"分からな|わからな|掲載されていな|掲載されていません|載っていな|含まれていな|不明|"
    r"見つかっていな|見つかっていません|"
    r"(?:chưa|không) (?:được )?(?:công bố|biết|xác nhận|rõ)|chưa rõ|"
    r"không có trong cơ sở tri thức|không mô tả|không nêu",
    re.IGNORECASE,
)
# A statement that denies ("not", "아닙니다", "ではありません", "không phải").
_NEGATED = re.compile(
    r"\bnot\b|n't\b|\bneither\b|아닙니다|아니며|아니고|아니라|아닌|ではありません|ではなく|ではない|"
    r"じゃない|không phải|chứ không",
    re.IGNORECASE,
)
WH_WORDS = re.compile("|".join(lang.question_words for lang in LANGUAGES), re.IGNORECASE)
# A request worded as an instruction ("tell me about …", "알려주세요", "教えて").
REQUEST_WORDS = re.compile("|".join(lang.request_words for lang in LANGUAGES), re.IGNORECASE)
_DATE = re.compile(
    r"(?<![\d,.])(?:1[89]|20)\d\d(?![\d,.]\d|\d)|\d{1,2}\s*(?:월|日|月)|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|tháng\s*\d|năm\s*\d",
    re.IGNORECASE,
)
# A quantity ("1,060 companies", "23,659 m²", "7 pairs") answers "how many?"; a year or a day of
# a date does not ("since 2004", "2022년 8월 3일", "tháng 8 năm 2022", "3 August 2022").
_NUMBER = re.compile(r"\d[\d,.]*")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_MONTH = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?", re.IGNORECASE)
_DATE_UNITS = ("월", "月", "일", "日")  # "7년", "7年" are durations: quantities
_VI_DATE_WORDS = ("tháng", "ngày", "năm")


def _states_quantity(sentence: str) -> bool:
    for match in _NUMBER.finditer(sentence):
        digits = match.group(0).rstrip(".,")
        if _YEAR.fullmatch(digits):
            continue
        after = sentence[match.end() : match.end() + 12].lstrip()
        before = sentence[max(0, match.start() - 12) : match.start()].rstrip().lower()
        if after.startswith(_DATE_UNITS) or before.endswith(_VI_DATE_WORDS):
            continue
        last_word = before.rsplit(None, 1)[-1] if before else ""
        if len(digits) <= 2 and (_MONTH.match(after) or _MONTH.fullmatch(last_word)):
            continue  # "3 August", "August 3"
        return True
    return False


_BARE_REPLY = re.compile(
    r"^(?:no|yes|not quite|아닙니다|아니요|아니오|네|예|그렇습니다|không|có|đúng|không phải|いいえ|はい|違います)"
    r"\s*[.,!。、！]?\s*$",
    re.IGNORECASE,
)
_POINTS_ELSEWHERE = re.compile(
    r"\b(?:below|as follows|the following|see above|listed above)\b|아래|다음과 같|위의|"
    r"dưới đây|sau đây|như sau|trên đây|以下|下記|次の通り|上記",
    re.IGNORECASE,
)
_OPENS_WITH_REFERENCE = re.compile(
    # "this knowledge base" is the assistant's own documents, never the sentence before
    r"^(?!this knowledge base|이 지식베이스|このナレッジベース|cơ sở tri thức này)(?:"
    r"(?:it|its|this|that|these|those|they|their|there|he|she)\b|^(?:이는|이것은|이곳은|그곳은|그는|그녀는|이들|그들)"
    r"|^(?:nó|điều này|đây là|đó là|họ)\b|^(?:これは|それは|これら|そこ|同社|同センター)"
    # "이 수치는", "その式典", "Con số này": this/that + noun, as "This figure …"
    r"|^(?:이|그|해당|이러한|그러한|이런|그런)\s|^(?:この|その|これらの|それらの|こうした|そうした)"
    r"|^\w+(?:\s\w+)?\s(?:này|đó|ấy)\b"
    # "However, …", "So …": a sentence that qualifies or concludes from the one before says
    # little without it.
    r"|^(?:however|but|yet|still|even so|that said|nevertheless|so(?! far)|therefore|thus|hence)\b"
    r"|^(?:다만|하지만|그러나|그렇지만|단,|그래서|따라서|그러므로)"
    r"|^(?:ただし|しかし|ただ、|とはいえ|そのため|だから|したがって)"
    r"|^(?:tuy nhiên|nhưng|tuy vậy|dù vậy|vì vậy|do đó|vì thế)\b)",
    re.IGNORECASE,
)


_EN_YES_NO = re.compile(
    r"\s*(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|may|must)\b"
)


# "How much is the rent?" asks an amount of money, not any number (the "price" cues): a
# sentence counting startups does not answer it, one that says what is charged (or that it is
# not published) does.
_STATES_MONEY = re.compile(
    r"\b(?:fees?|costs?|rent|charged?|free of charge|paid|pay|USD|VND|won|dong)\b|\$|₫|"
    r"\d\s*(?:원|円|엔|ドル|ウォン)|만\s*원|억\s*원|달러|비용|요금|임대료|관리비|무료|費用|料金|家賃|"
    r"賃料|無料|利用料|phí|tiền thuê|giá thuê|đồng\b|triệu",
    re.IGNORECASE,
)


def question_kind(question: str) -> str:
    """"number", "price", "date", "who", "where", "yes-no" or "other": the kind of fact asked
    for ("price": how much money)."""
    lang = detect_language(question)
    lowered = what_instead_of_place(question).lower()  # "what kind of place": not where
    if lang == "en" and _EN_YES_NO.match(lowered) and not WH_WORDS.search(lowered):
        return "yes-no"  # "Is 31 Hàn Thuyên the hub's address?"
    # The most specific cue wins: "몇 년에" asks a year, though "몇" alone asks a number;
    # "mấy giờ" asks a time. Equal lengths keep the order below.
    found = []
    for order, kind in enumerate(("number", "date", "who", "where")):
        match = _cue(_CUES[kind].get(lang), lowered, lang)
        if match:
            found.append((-len(match.group(0)), order, kind))
    if found:
        kind = min(found)[2]
        money = _cue(_CUES["price"].get(lang), lowered, lang)
        return "price" if kind == "number" and money else kind
    if not (WH_WORDS.search(lowered) or _cue(_LANGUAGE_QUESTION_WORDS.get(lang), lowered, lang)):
        return "yes-no"
    return "other"


# Each language's question words alone (WH_WORDS holds all four in one pattern).
_LANGUAGE_QUESTION_WORDS = {lang.code: lang.question_words for lang in LANGUAGES}


def _cue(pattern: str | None, lowered: str, lang: str) -> re.Match[str] | None:
    """A cue of the question's language in its (lower-cased) text; Vietnamese typed without
    its marks ("khi nao", "o dau") is matched by the cue without them."""
    if not pattern:
        return None
    found = re.search(pattern, lowered)
    if found is None and lang == "vi" and not _VI_MARKS.search(lowered):
        found = re.search(plain_pattern(pattern), lowered)
    return found


def has_question_word(text: str) -> bool:
    """Whether text has a question word of any language — Vietnamese also as founders type
    it without marks ("hub o dau vay", "bao nhieu")."""
    lowered = text.lower()
    return bool(WH_WORDS.search(lowered) or _cue(_LANGUAGE_QUESTION_WORDS["vi"], lowered, "vi"))


# A parenthesis that cites where a fact comes from, not a fact: "(Hankook Ilbo, 4 August 2022)",
# "(khoahocphattrien.vn; sromost.gov.vn news 1117)", "(2026년 11월 확인)". Its dates and
# article numbers do not answer "when?" or "how many?".
_PARENTHESIS = re.compile(r"[(（]([^()（）]*)[)）]")
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|net|org|vn|kr|jp|io)\b", re.IGNORECASE)
_ARTICLE_ID = re.compile(r"\d{6,}|=\s*\d|\bno\.\s*\d|\bnews \d|\bpost\d|\barticle\b", re.IGNORECASE)
_CHECKED = re.compile(r"\bchecked\b|확인|確認|kiểm tra", re.IGNORECASE)
_SOURCE_AND_DATE = re.compile(r"^[^\d,、]{2,40}[,、]\s*(?P<date>.+)$")


def _cites(part: str) -> bool:
    items = [item.strip() for item in re.split(r"[;；]", part) if item.strip()]
    found = False
    for item in items:
        dated = _SOURCE_AND_DATE.match(item)
        if (
            _DOMAIN.search(item)
            or _ARTICLE_ID.search(item)
            or _CHECKED.search(item)
            or (dated and _DATE.search(dated.group("date")))
        ):
            found = True
        elif any(ch.isdigit() for ch in item) or len(item) > 40:
            return False  # "(KRW 23.1 bn)", "(tháng 8 năm 2022)": a fact
    return found


def without_citations(sentence: str) -> str:
    """The sentence without its source citations in parentheses (see _cites)."""
    if "(" not in sentence and "（" not in sentence:
        return sentence
    return _PARENTHESIS.sub(lambda m: " " if _cites(m.group(1)) else m.group(0), sentence)


def asks_contact(question: str) -> bool:
    """Whether a question asks how to reach someone: a phone number, an e-mail ("NATEC phone
    number", "SBA 담당자 연락처", "連絡先", "số điện thoại")."""
    lang = detect_language(question)
    return bool(_cue(_CUES["contact"].get(lang), question.lower(), lang))


def asks_upcoming(question: str) -> bool:
    """Whether a question asks about something still to come ("the next deadline", "올해 모집",
    "次回のロードショー", "đợt tới"), as a deadline asked without a year or a past tense is
    ("What's the deadline?", "마감이 언제예요?")."""
    lang = detect_language(question)
    lowered = question.lower()
    if _cue(_CUES["upcoming"].get(lang), lowered, lang):
        return True
    return bool(
        _cue(_CUES["deadline"].get(lang), lowered, lang)
        and not _YEAR.search(lowered)
        and not _cue(_CUES["past"].get(lang), lowered, lang)
    )


def states_kind(sentence: str, kind: str, *, upcoming: bool = False) -> bool:
    """Whether a sentence contains the kind of fact asked for (a number, a date) — outside
    the parentheses that cite its source. A date still to come (``upcoming``: "when is the
    next deadline?") is not stated by a sentence whose dates are all of past years."""
    if kind in UNKNOWABLE_KINDS and states_unknown(sentence):
        return True
    if kind in ("number", "date"):
        sentence = without_citations(sentence)
    if kind == "date" and upcoming:
        this_year = datetime.date.today().year
        return any(int(year) >= this_year for year in _YEAR.findall(sentence))
    if kind == "number":
        return _states_quantity(sentence)
    if kind == "price":
        return bool(_STATES_MONEY.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "who":
        return bool(_STATES_WHO.search(sentence))
    if kind == "contact":
        # how to reach someone, or that the details are not published
        return bool(_STATES_CONTACT.search(sentence))
    if kind == "where":
        # "31 Hàn Thuyên is the address of SRO MOST, not the hub's" names a place to say where
        # something is not: it does not answer "where?".
        return bool(_STATES_WHERE.search(sentence)) and not _NEGATED.search(sentence)
    return False


# Kinds of fact a sentence answers by saying the fact is not known.
UNKNOWABLE_KINDS = frozenset({"number", "price", "date", "who"})


@functools.lru_cache(maxsize=1 << 16)
def states_unknown(sentence: str) -> bool:
    """Whether a sentence says a fact is not known or not published ("the deadline is not
    published", "마감일은 공개되어 있지 않습니다"). Cached: the same passages and sentences are
    checked for question after question (about 0.1 ms each on this machine)."""
    return bool(_STATES_UNKNOWN.search(without_citations(sentence)))


def is_bare_reply(sentence: str) -> bool:
    """A sentence that is only "No." / "아닙니다." / "はい。" and says nothing by itself."""
    return bool(_BARE_REPLY.match(sentence.strip()))


def points_elsewhere(sentence: str) -> bool:
    """Whether a sentence refers to text around it ("below", "아래", "以下")."""
    return bool(_POINTS_ELSEWHERE.search(sentence))


# A page, article or report announcing itself ("This page introduces …", "本レポートでは …を
# 整理する", "이 글은", "Trang này giới thiệu …"): the opening of many documents staff add,
# about the document, not a fact. (The knowledge base's "this knowledge base does not
# publish …" is a fact: the answer to an unknown.)
_DESCRIBES_ITSELF = re.compile(
    r"^(?:this|the present) (?:page|article|report|column|post|paper|story)\b|"
    r"^(?:이|본)\s?(?:글|기사|보고서|리포트|페이지|칼럼)(?:은|는|에서)|"
    r"^(?:本|この)(?:レポート|記事|ページ|報告書|稿|コラム)(?:では|は|で)|"
    r"^(?:trang|bài viết|bài báo|báo cáo|bài) này\b",
    re.IGNORECASE,
)


def describes_itself(sentence: str) -> bool:
    """Whether a sentence is its document's description of itself, not a fact."""
    return bool(_DESCRIBES_ITSELF.match(sentence.strip()))


# "this week", "these days": a time, now — not the things of the previous turn.
_NOW = r"(?! (?:days?|weeks?|weekends?|months?|years?|morning|afternoon|evening|time)\b)"
_POINTS_BACK = re.compile(
    r"\b(?:it|its|it's|that|they|them|their|those|the same)\b|"
    rf"\b(?:this|these)\b{_NOW}|"
    r"(?<!\bis )(?<!\bare )\bthere\b(?! (?:is|are|was|were)\b)|"
    r"거기|그곳|그 곳|그건|그게|그것|그\s|이곳|여기|"
    r"\b(?:nó|đó|đấy|ấy)\b|"
    r"それ|そこ|その|あれ|あそこ|こちら",
    re.IGNORECASE,
)
# "그럼", "그러면", "では" ("then …") and "còn" ("and …?"): they carry a chat on without naming
# what they refer to.
_CONNECTIVES = re.compile(r"그럼|그러면|では|\b(?:thế còn|vậy còn|còn)\b", re.IGNORECASE)


# "What kind of place is …?" asks what something is, not where: the place word is the
# question's grammar ("어떤 곳", "뭐하는 곳", "どんなところ", "nơi như thế nào").
WHAT_KIND_OF_PLACE = re.compile(
    r"\bwhat (?:kind|sort|type) of (?:a )?place\b|(?:어떤|무슨|뭐\s?하는|무엇을\s?하는)\s?곳|"
    r"(?:どんな|どういう|なにをする|何をする)(?:ところ|所|場所)|"
    r"\b(?:nơi|chỗ)\s+(?:như\s+thế\s+nào|thế\s+nào|gì)",
    re.IGNORECASE,
)


def what_instead_of_place(text: str) -> str:
    """"What kind of place is X?" as "What is X?" (for meaning: the question word stays)."""

    def what(match: re.Match[str]) -> str:
        found = match.group(0)
        if re.search(r"[가-힣]", found):
            return "무엇"
        if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", found):
            return "何"
        return "what" if found.lower().startswith("what") else "gì"

    return WHAT_KIND_OF_PLACE.sub(what, text)


def points_back(question: str, *, connectives: bool = True) -> bool:
    """Whether the question refers to something said before ("it", "거기", "それ", "nó"), or
    (unless ``connectives=False``) carries the chat on ("그럼", "では", "còn")."""
    pointer = _POINTS_BACK.search(question)
    return bool(pointer and not _refers_within(question, pointer.start())) or (
        connectives and bool(_CONNECTIVES.search(question))
    )


# Where a clause of a message ends: a pointer after one may refer to that clause.
_CLAUSE_END = re.compile(r"[,、。;；?？!！]|\.(?=\s)")


def _refers_within(message: str, at: int) -> bool:
    """Whether the pointer at ``at`` follows a clause of the same message that names what it
    points to ("ベトナムに現地法人を作りたいんですが、そのあたりの手続きって…", "We have no entity
    in Vietnam yet, can you help with that?"): then it points there, not to the previous turn.
    "How many people work there?" has no such clause."""
    ends = [m.start() for m in _CLAUSE_END.finditer(message, 0, at)]
    return bool(ends) and count_words(tokenize(message[: ends[-1]])) >= 2


def opens_with_reference(sentence: str) -> bool:
    """Whether a sentence opens with a pronoun whose referent is in the sentence before."""
    return bool(_OPENS_WITH_REFERENCE.match(sentence.strip()))


_QUESTION_BREAK = re.compile(r"(?<=[?？])\s*")
# "…, and what/is/can …?": a second question joined by a comma and "and" (English). Without
# the comma "and" joins the parts of one question ("how many hires and how much in sales").
_AND_QUESTION = re.compile(
    r",\s+and\s+(?=(?:what|when|where|who|which|why|how|is|are|was|were|do|does|did|can|"
    r"could|will|would|should|may)\b)",
    re.IGNORECASE,
)


def question_sentence(text: str) -> str | None:
    """The question of a message that says something before it asks ("We build EV chargers.
    What does the hub offer?" → "What does the hub offer?"); None for a single sentence or a
    message that does not end with a question mark."""
    sentences = split_sentences(text)
    if len(sentences) < 2 or not sentences[-1].rstrip().endswith(("?", "？")):
        return None
    return sentences[-1].strip()


def split_question(
    text: str, asks_about: Callable[[str], frozenset[str]] | None = None
) -> list[str]:
    """Two questions in one message ("Do you run an accelerator? When is the deadline?") as
    two, and "…, and is there …?" likewise; anything else as itself. A part split at "?" needs
    two keyword tokens of its own, or a question word and one, to stand alone — or, with
    ``asks_about`` (the kinds of fact a text asks: fee, address, size …), one word asking a
    kind of fact the part before does not ("허브 위치는? 비용은?")."""
    def stands_alone(part: str, before: str) -> bool:
        # Two words of its own, or a question word and one ("When is the next deadline?")
        # that does not point back at the part before ("Who heads it?").
        words = len(tokenize(part))
        if words == 1 and asks_about is not None and not points_back(part):
            asked = asks_about(part)
            if asked and not asked & asks_about(before):
                return True
        return words >= 2 or (
            words == 1 and bool(WH_WORDS.search(part)) and not points_back(part)
        )

    parts = [p.strip() for p in _QUESTION_BREAK.split(text) if p.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and not stands_alone(part, merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    if len(merged) > 1 and not stands_alone(merged[0], merged[1]):
        merged[1] = f"{merged[0]} {merged[1]}"
        merged.pop(0)
    # A question joined by ", and …" stands alone with one keyword of its own ("…, and is
    # there any cost?"): the question word already says it is a question.
    split: list[str] = []
    for part in merged:
        pieces = [p.strip() for p in _AND_QUESTION.split(part)]
        if len(pieces) > 1 and all(tokenize(p) for p in pieces):
            split.extend(pieces)
        else:
            split.append(part)
    return split[:3] if len(split) > 1 else [text]
