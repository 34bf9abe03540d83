"""Korean: everything the bot needs to read and write it (texts byte-identical to
what the channels and the core said before the registry)."""

from __future__ import annotations

from bot.languages.language import Language

LANGUAGE = Language(
    code="ko",
    name="Korean",
    names={
        "en": "영어",
        "ko": "한국어",
        "vi": "베트남어",
        "ja": "일본어",
    },
    lead_budget=150,
    pro_drop=True,
    fitted_offset=True,
    decline=(
        "죄송합니다. 제가 가진 프로그램 문서에는 이 질문에 대한 내용이 없어 정확히 답변드리기 "
        "어렵습니다. 허브 담당자에게 질문을 보내 문의해 주세요."
    ),
    unavailable="일시적으로 답변할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    other_language_note="(한국어 문서에는 이 내용이 없어 {lang} 문서에서 가져온 답변입니다.)",
    question_words=r"뭐|무엇|무슨|어디|언제|누구|누가|얼마|몇|어떻게|어떤|어느|왜",
    request_words=r"알려|가르쳐|설명해|소개해|궁금",
    question_cues={
        "number": r"몇\s*년\s*(?:까지|이하|미만|이내|차|째)|몇|얼마|규모|면적|넓이|넓[어은나]|크기|개수|인원|비율|금액|수치",
        "date": r"언제|몇\s*년(?!\s*(?:까지|이하|미만|이내|차|째))|몇\s*월|몇\s*시|날짜|연도|일정|기한|마감|까지",
        "who": r"누가|누구|대표|책임자|어느 기관|어떤 기관|어떤 회사|어느 회사",
        "where": r"어디|주소|위치|몇 층|무슨 건물|어느 건물",
    },
    smalltalk_phrases={
        "greeting": (
            r"안녕하(?:세요|십니까|신가요)?",
            r"안녕",
            r"반갑습니다",
            r"반가워요?",
            # "하이서울" is a programme name, "하이테크" a word: neither is a greeting
            r"하이(?!\s*서울)(?![가-힣])",
            r"헬로(?![가-힣])",
            r"ㅎㅇ",
        ),
        "thanks": (
            r"감사(?:합니다|해요|드립니다)?",
            r"고마워요?",
            r"고맙습니다",
            r"땡큐",
            r"ㄱㅅ",
        ),
        "capability": (
            r"(?:뭘|뭐|무엇을|무얼|어떤 것을|어떤 걸|어떤 일을)\s*(?:할|해\s*줄|해\s*주실|도와\s*줄|도와\s*주실|도와\s*드릴|알려\s*줄|알려\s*주실|물어\s*볼|물어봐도|질문할)",
            r"(?:무엇을|뭘|뭐)\s*(?:도와|물어|질문)",
            r"(?:너는|당신은)?\s*누구(?:세요|야|신가요|인가요)",
            r"도움말",
            r"어떤 (?:도움|질문)",
            r"어떤 (?:주제|것|내용|걸)(?:을|를|에 대해|에 대해서)?\s*(?:물어\s*볼|물어봐도|물어|질문할|질문|답할|답해|알려\s*줄|알려\s*주)",
        ),
    },
    smalltalk_replies={
        "intro": (
            "서울창업허브 호치민 안내 도우미입니다. 다음 주제의 프로그램 문서를 바탕으로 "
            "답변드립니다:"
        ),
        "hello": "안녕하세요!",
        "examples": "예를 들어 이렇게 물어보세요:",
        "more": "… 외 {n}개",
        "staff": "문서에 없는 내용은 허브 직원에게 질문을 전달해 드릴 수 있습니다.",
        "thanks": "천만에요! 허브나 베트남 진출에 대해 더 궁금한 점이 있으면 언제든 물어보세요.",
    },
    smalltalk_exemplars={
        "capability": (
            "무엇을 도와줄 수 있나요?",
            "어떤 질문을 할 수 있어요?",
            "너는 뭘 알아?",
            "이 챗봇은 뭐 하는 거예요?",
            "당신은 누구세요?",
            "어떤 주제에 답할 수 있어요?",
            "뭘 물어보면 돼요?",
            "어떤 도움을 받을 수 있나요?",
        ),
        "greeting": (
            "안녕하세요",
            "반갑습니다",
            "안녕하세요, 처음 왔어요",
        ),
        "thanks": (
            "감사합니다",
            "고마워요, 도움이 많이 됐어요",
            "알겠습니다, 감사해요",
        ),
    },
    telegram={
        "greeting": (
            "안녕하세요, {name}님! <b>서울창업허브 호치민</b> 안내 도우미입니다.\n\n허브 소개, "
            "서비스와 입주, 협력 기관과 대학, 베트남 진출에 관한 질문에 답해 드립니다. 답변은 "
            "프로그램 문서에서만 가져오며, 답변마다 참고한 문서를 함께 알려 드립니다.\n\n궁금한 "
            "점을 입력해 주세요. 제가 도와드리기 어려우면 “담당자에게 문의”를 눌러 주세요.\n언어 "
            "변경: /lang ko | en | vi | ja"
        ),
        "language_set": "이제 한국어로 안내해 드리겠습니다.",
        "language_usage": "언어를 선택해 주세요: /lang ko, /lang en, /lang vi, /lang ja",
        "sources": "출처",
        "verified": "확인",
        "more": "자세히",
        "less": "간단히",
        "sources_button": "출처 ({n})",
        "sources_hide": "출처 닫기",
        "answer_expired": "이 답변은 만료되었습니다. 질문을 다시 보내 주세요.",
        "example_expired": "이 예시 질문은 더 이상 사용할 수 없습니다. 질문을 직접 입력해 주세요.",
        "examples_intro": "아래 질문을 눌러 보셔도 됩니다:",
        "unsure_offer": (
            "이 답변이 질문에 꼭 맞는지 확실하지 않습니다. 허브 담당자에게 확인하시려면 "
            "“{button}”를 눌러 주세요."
        ),
        # Where a source came from when staff published it (bot/rag/provenance.py).
        "origin_upload": "{date} 직원이 올린 문서",
        "origin_faq": "{date} 직원 답변에서 저장",
        "ask_staff": "담당자에게 문의",
        "decline_offer": "질문을 허브 담당자에게 전달해 드릴까요?",
        "thanks_feedback": "의견 감사합니다!",
        "what_was_wrong": "죄송합니다. 답변의 어떤 점이 잘못되었나요? 이 메시지에 답장해 주세요.",
        "comment_saved": "감사합니다. 답변을 개선할 수 있도록 전달했습니다.",
        "feedback_unknown": "해당 답변을 찾을 수 없습니다.",
        "handoff_opened": (
            "질문을 허브 담당자에게 전달했습니다. 담당자가 여기에서 답변해 드립니다. 상담이 끝날 "
            "때까지 보내시는 메시지는 담당자에게 바로 전달됩니다."
        ),
        "handoff_already_open": (
            "질문이 이미 허브 담당자에게 전달되어 있습니다. 여기에서 답변드릴 예정입니다."
        ),
        "handoff_unavailable": (
            "죄송합니다. 지금은 여기에서 허브 담당자에게 연결할 수 없습니다. 허브에 직접 문의해 "
            "주세요(“허브 연락처를 알려 주세요”라고 물어보세요)."
        ),
        "staff_says": "허브 담당자",
        "handoff_resolved": (
            "허브 담당자가 상담을 종료했습니다. 이제 다시 제가 질문에 답해 드립니다."
        ),
        "rate_limited": "질문이 너무 빠르게 들어오고 있습니다. 1분 정도 후에 다시 보내 주세요.",
        "error": "죄송합니다. 처리 중 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
        "staff_only": "죄송합니다. 허브 담당자만 사용할 수 있는 기능입니다.",
        "text_only": "텍스트 메시지만 읽을 수 있습니다. 질문을 입력해 주세요.",
    },
    widget={
        "title": "서울창업허브 호치민 도우미",
        "open": "허브 도우미 채팅 열기",
        "close": "채팅 닫기",
        "intro": "안녕하세요! 서울창업허브 호치민과 베트남 진출에 대해 물어보세요.",
        "label": "질문",
        "placeholder": "질문을 입력하세요…",
        "send": "보내기",
        "typing": "답변을 작성하고 있습니다…",
        "you": "나",
        "bot": "도우미",
        "sources": "출처",
        "verified": "확인일",
        "uploaded": "{date} 직원이 올린 문서",
        "savedFaq": "{date} 직원 답변에서 저장",
        "rate": "답변이 도움이 되었나요?",
        "up": "도움이 됨",
        "down": "도움이 안 됨",
        "recorded": "감사합니다. 의견이 기록되었습니다.",
        "feedbackFailed": "의견을 저장하지 못했습니다.",
        "askStaff": "담당자에게 문의",
        "handoffIntro": "연락처와 질문을 남겨 주시면 허브 담당자가 답변드립니다.",
        "contact": "이메일, 전화번호 또는 텔레그램",
        "question": "질문 내용",
        "submit": "담당자에게 보내기",
        "cancel": "취소",
        "handoffSent": "전송되었습니다. 허브 담당자가 연락드리겠습니다.",
        "handoffFailed": "요청을 보내지 못했습니다. 다시 시도해 주세요.",
        "error": "죄송합니다. 문제가 발생했습니다. 다시 시도해 주세요.",
        "network": "도우미에 연결할 수 없습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요.",
        "rateLimited": "질문이 너무 빠릅니다. {s}초 후에 다시 시도해 주세요.",
        "tooLong": "질문이 너무 깁니다(최대 1,000자).",
        "newChat": "새 대화",
        "examples": "예를 들어 이렇게 물어보세요:",
        "more": "더 보기",
        "less": "접기",
        "sourcesOne": "출처 1개",
        "sourcesMany": "출처 {n}개",
        "unsureNote": "질문에 충분한 답이 아닐 수 있습니다. 허브 담당자가 확인해 드릴 수 있습니다.",
    },
)
