"""What the bot says to founders, in Korean, English, Vietnamese and Japanese.

Staff-facing text stays in English (one short vocabulary for the hub team); everything a
founder reads comes from ``TEXTS`` through ``t(key, lang)``.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("ko", "en", "vi", "ja")
# A text missing in a language falls back to English (every text exists in all four today).
DEFAULT_LANGUAGE = "en"
# A founder whose Telegram sends no language (or one the bot has no texts for) is most likely
# Korean: the programme is for Korean founders.
FALLBACK_LANGUAGE = "ko"

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "en": (
            "Hello {name}! I am the assistant of <b>Seoul Startup Hub Ho Chi Minh</b>.\n\n"
            "I answer questions about the hub, its services and membership, its partner "
            "agencies and universities, and expanding to Vietnam. My answers come only from "
            "the programme documents, and I list the documents I used under each answer.\n\n"
            "Just type your question. If I cannot help, tap “Ask a staff member”.\n"
            "Language: /lang ko | en | vi | ja"
        ),
        "ko": (
            "안녕하세요, {name}님! <b>서울창업허브 호치민</b> 안내 도우미입니다.\n\n"
            "허브 소개, 서비스와 입주, 협력 기관과 대학, 베트남 진출에 관한 질문에 답해 "
            "드립니다. 답변은 프로그램 문서에서만 가져오며, 답변마다 참고한 문서를 함께 "
            "알려 드립니다.\n\n"
            "궁금한 점을 입력해 주세요. 제가 도와드리기 어려우면 “담당자에게 문의”를 "
            "눌러 주세요.\n"
            "언어 변경: /lang ko | en | vi | ja"
        ),
        "vi": (
            "Xin chào {name}! Tôi là trợ lý của <b>Seoul Startup Hub Ho Chi Minh</b>.\n\n"
            "Tôi trả lời các câu hỏi về hub, dịch vụ và thành viên, các cơ quan và trường đại "
            "học đối tác, và việc mở rộng sang Việt Nam. Câu trả lời chỉ lấy từ tài liệu của "
            "chương trình, kèm danh sách tài liệu đã dùng.\n\n"
            "Hãy nhập câu hỏi của bạn. Nếu tôi không giúp được, hãy bấm “Hỏi nhân viên”.\n"
            "Ngôn ngữ: /lang ko | en | vi | ja"
        ),
        "ja": (
            "{name}さん、こんにちは！<b>ソウル創業ハブ・ホーチミン</b>のアシスタントです。\n\n"
            "ハブの概要、サービスや入居、協力機関や大学、ベトナム進出についての質問に"
            "お答えします。回答はプログラム資料だけに基づき、回答ごとに参照した資料を"
            "示します。\n\n"
            "質問を入力してください。お答えできない場合は「スタッフに質問」を"
            "押してください。\n"
            "言語の変更: /lang ko | en | vi | ja"
        ),
    },
    "language_set": {
        "en": "I will talk to you in English.",
        "ko": "이제 한국어로 안내해 드리겠습니다.",
        "vi": "Tôi sẽ trò chuyện với bạn bằng tiếng Việt.",
        "ja": "これから日本語でご案内します。",
    },
    "language_usage": {
        "en": "Choose a language: /lang ko, /lang en, /lang vi or /lang ja.",
        "ko": "언어를 선택해 주세요: /lang ko, /lang en, /lang vi, /lang ja",
        "vi": "Chọn ngôn ngữ: /lang ko, /lang en, /lang vi hoặc /lang ja.",
        "ja": "言語を選んでください: /lang ko、/lang en、/lang vi、/lang ja",
    },
    "sources": {"en": "Sources", "ko": "출처", "vi": "Nguồn", "ja": "出典"},
    "verified": {"en": "verified", "ko": "확인", "vi": "xác minh", "ja": "確認日"},
    "more": {"en": "More", "ko": "자세히", "vi": "Xem thêm", "ja": "詳しく"},
    "less": {"en": "Less", "ko": "간단히", "vi": "Thu gọn", "ja": "閉じる"},
    "sources_button": {
        "en": "Sources ({n})",
        "ko": "출처 ({n})",
        "vi": "Nguồn ({n})",
        "ja": "出典 ({n})",
    },
    "sources_hide": {
        "en": "Hide sources",
        "ko": "출처 닫기",
        "vi": "Ẩn nguồn",
        "ja": "出典を閉じる",
    },
    "answer_expired": {
        "en": "This answer has expired. Please ask your question again.",
        "ko": "이 답변은 만료되었습니다. 질문을 다시 보내 주세요.",
        "vi": "Câu trả lời này đã hết hạn. Vui lòng gửi lại câu hỏi.",
        "ja": "この回答は期限切れです。もう一度質問を送ってください。",
    },
    "example_expired": {
        "en": "This example is no longer available. Please type your question.",
        "ko": "이 예시 질문은 더 이상 사용할 수 없습니다. 질문을 직접 입력해 주세요.",
        "vi": "Câu hỏi mẫu này không còn nữa. Vui lòng nhập câu hỏi của bạn.",
        "ja": "この質問例は使えなくなりました。質問を入力してください。",
    },
    "examples_intro": {
        "en": "Or tap one of these questions:",
        "ko": "아래 질문을 눌러 보셔도 됩니다:",
        "vi": "Hoặc bấm vào một trong các câu hỏi sau:",
        "ja": "下の質問をタップすることもできます:",
    },
    "unsure_offer": {
        "en": "I am not fully sure this answers your question. To check with the hub staff, "
        "tap “{button}”.",
        "ko": "이 답변이 질문에 꼭 맞는지 확실하지 않습니다. 허브 담당자에게 확인하시려면 "
        "“{button}”를 눌러 주세요.",
        "vi": "Tôi không chắc câu trả lời này đúng ý bạn. Để hỏi lại nhân viên hub, hãy bấm "
        "“{button}”.",
        "ja": "この回答がご質問に合っているか確かではありません。ハブのスタッフに確認するには"
        "「{button}」を押してください。",
    },
    # Where a source came from when staff published it (bot/rag/provenance.py).
    "origin_upload": {
        "en": "uploaded by staff on {date}",
        "ko": "{date} 직원이 올린 문서",
        "vi": "nhân viên tải lên ngày {date}",
        "ja": "{date}にスタッフがアップロード",
    },
    "origin_faq": {
        "en": "saved from a staff answer on {date}",
        "ko": "{date} 직원 답변에서 저장",
        "vi": "lưu từ câu trả lời của nhân viên ngày {date}",
        "ja": "{date}のスタッフの回答から保存",
    },
    "ask_staff": {
        "en": "Ask a staff member",
        "ko": "담당자에게 문의",
        "vi": "Hỏi nhân viên",
        "ja": "スタッフに質問",
    },
    "decline_offer": {
        "en": "Would you like me to pass your question to the hub staff?",
        "ko": "질문을 허브 담당자에게 전달해 드릴까요?",
        "vi": "Bạn có muốn tôi chuyển câu hỏi cho nhân viên của hub không?",
        "ja": "ご質問をハブのスタッフにお伝えしましょうか？",
    },
    "thanks_feedback": {
        "en": "Thank you for your feedback!",
        "ko": "의견 감사합니다!",
        "vi": "Cảm ơn phản hồi của bạn!",
        "ja": "ご意見ありがとうございます！",
    },
    "what_was_wrong": {
        "en": "Sorry about that. What was wrong with the answer? Reply to this message.",
        "ko": "죄송합니다. 답변의 어떤 점이 잘못되었나요? 이 메시지에 답장해 주세요.",
        "vi": "Xin lỗi bạn. Câu trả lời sai ở đâu? Hãy trả lời tin nhắn này.",
        "ja": "申し訳ありません。回答のどこが問題でしたか？このメッセージに返信してください。",
    },
    "comment_saved": {
        "en": "Thank you, I have passed this on so the answer can be improved.",
        "ko": "감사합니다. 답변을 개선할 수 있도록 전달했습니다.",
        "vi": "Cảm ơn bạn, tôi đã ghi nhận để cải thiện câu trả lời.",
        "ja": "ありがとうございます。回答の改善のために担当者へ伝えました。",
    },
    "feedback_unknown": {
        "en": "I could not find that answer any more.",
        "ko": "해당 답변을 찾을 수 없습니다.",
        "vi": "Tôi không tìm thấy câu trả lời đó nữa.",
        "ja": "その回答が見つかりませんでした。",
    },
    "handoff_opened": {
        "en": (
            "I have passed your question to the hub staff. They will reply here; until they "
            "close the conversation, your messages go straight to them."
        ),
        "ko": (
            "질문을 허브 담당자에게 전달했습니다. 담당자가 여기에서 답변해 드립니다. "
            "상담이 끝날 때까지 보내시는 메시지는 담당자에게 바로 전달됩니다."
        ),
        "vi": (
            "Tôi đã chuyển câu hỏi của bạn cho nhân viên hub. Họ sẽ trả lời tại đây; cho đến "
            "khi họ kết thúc cuộc trò chuyện, tin nhắn của bạn sẽ được gửi thẳng cho họ."
        ),
        "ja": (
            "ご質問をハブのスタッフにお伝えしました。スタッフがここで返信します。"
            "対応が終わるまで、送信されたメッセージはスタッフに直接届きます。"
        ),
    },
    "handoff_already_open": {
        "en": "Your question is already with the hub staff; they will reply here.",
        "ko": "질문이 이미 허브 담당자에게 전달되어 있습니다. 여기에서 답변드릴 예정입니다.",
        "vi": "Câu hỏi của bạn đã được chuyển cho nhân viên hub; họ sẽ trả lời tại đây.",
        "ja": "ご質問はすでにハブのスタッフに届いています。ここで返信がありますのでお待ちください。",
    },
    "handoff_unavailable": {
        "en": (
            "Sorry, I cannot reach the hub staff from here right now. Please contact the hub "
            "directly (ask me “How do I contact the hub?”)."
        ),
        "ko": (
            "죄송합니다. 지금은 여기에서 허브 담당자에게 연결할 수 없습니다. 허브에 직접 "
            "문의해 주세요(“허브 연락처를 알려 주세요”라고 물어보세요)."
        ),
        "vi": (
            "Xin lỗi, hiện tôi không thể kết nối với nhân viên hub từ đây. Vui lòng liên hệ "
            "trực tiếp với hub (hãy hỏi tôi “Làm sao liên hệ với hub?”)."
        ),
        "ja": (
            "申し訳ありません。現在ここからハブのスタッフにおつなぎできません。ハブへ直接"
            "お問い合わせください（「ハブの連絡先は？」と聞いてください）。"
        ),
    },
    "staff_says": {
        "en": "Hub staff",
        "ko": "허브 담당자",
        "vi": "Nhân viên hub",
        "ja": "ハブスタッフ",
    },
    "handoff_resolved": {
        "en": (
            "The hub staff have closed this conversation. I will answer your questions "
            "again — ask me anything."
        ),
        "ko": "허브 담당자가 상담을 종료했습니다. 이제 다시 제가 질문에 답해 드립니다.",
        "vi": (
            "Nhân viên hub đã kết thúc cuộc trò chuyện. Tôi sẽ tiếp tục trả lời câu hỏi của bạn."
        ),
        "ja": "ハブのスタッフが対応を終了しました。これからは再び私がご質問にお答えします。",
    },
    "rate_limited": {
        "en": "You are sending questions faster than I can answer. Please wait a minute.",
        "ko": "질문이 너무 빠르게 들어오고 있습니다. 1분 정도 후에 다시 보내 주세요.",
        "vi": "Bạn gửi câu hỏi hơi nhanh. Vui lòng đợi khoảng một phút rồi thử lại.",
        "ja": "質問の送信が速すぎます。1分ほどお待ちください。",
    },
    "error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "ko": "죄송합니다. 처리 중 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
        "vi": "Xin lỗi, đã có lỗi xảy ra. Vui lòng thử lại sau giây lát.",
        "ja": "申し訳ありません。問題が発生しました。しばらくしてからもう一度お試しください。",
    },
    "staff_only": {
        "en": "Sorry, only the hub staff can do that.",
        "ko": "죄송합니다. 허브 담당자만 사용할 수 있는 기능입니다.",
        "vi": "Xin lỗi, chỉ nhân viên hub mới dùng được chức năng này.",
        "ja": "申し訳ありません。この操作はハブのスタッフのみ行えます。",
    },
    "text_only": {
        "en": "I can only read text messages. Please type your question.",
        "ko": "텍스트 메시지만 읽을 수 있습니다. 질문을 입력해 주세요.",
        "vi": "Tôi chỉ đọc được tin nhắn văn bản. Vui lòng nhập câu hỏi.",
        "ja": "テキストメッセージのみ読み取れます。質問を入力してください。",
    },
}


def normalise_language(code: str | None) -> str | None:
    """``"ko-KR"`` → ``"ko"``; None for languages the bot has no text for."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def t(key: str, lang: str | None, **values: str) -> str:
    """The text ``key`` in ``lang`` (English when missing), with ``values`` filled in."""
    table = TEXTS[key]
    text = table.get(lang or DEFAULT_LANGUAGE, table[DEFAULT_LANGUAGE])
    return text.format(**values) if values else text
