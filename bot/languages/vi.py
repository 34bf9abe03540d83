"""Vietnamese: everything the bot needs to read and write it (texts byte-identical to
what the channels and the core said before the registry)."""

from __future__ import annotations

from bot.languages.language import Language

LANGUAGE = Language(
    code="vi",
    name="Vietnamese",
    names={
        "en": "tiếng Anh",
        "ko": "tiếng Hàn",
        "vi": "tiếng Việt",
        "ja": "tiếng Nhật",
    },
    pro_drop=True,
    fitted_offset=True,
    decline=(
        "Xin lỗi, tài liệu của chương trình mà tôi có không đề cập đến câu hỏi này nên tôi không "
        "thể trả lời chính xác. Vui lòng gửi câu hỏi cho nhân viên của hub."
    ),
    unavailable="Trợ lý tạm thời không khả dụng. Vui lòng thử lại sau ít phút.",
    other_language_note=(
        "(Không có tài liệu tiếng Việt về nội dung này; câu trả lời lấy từ tài liệu {lang}.)"
    ),
    question_words=r"\bgì\b|\bđâu\b|\bnào\b|\bai\b|bao nhiêu|bao giờ|\bsao\b|thế nào|\bmấy\b",
    request_words=(
        r"\bcho (?:tôi|mình|em|tớ|tui) (?:biết|hỏi)\b|\bgiới thiệu\b|\bgiải thích\b|"
        r"\bkể (?:cho|về)\b|\bmuốn biết\b"
    ),
    question_cues={
        "number": r"bao nhiêu|mấy|diện tích|rộng|quy mô|số lượng|tỷ lệ|bao xa",
        "date": r"khi nào|bao giờ|năm nào|ngày nào|lúc nào|hồi nào|năm mấy|mấy giờ|thời hạn|hạn chót|từ năm|đến khi",
        "who": r"\bai\b|người đứng đầu|giám đốc|cơ quan nào|công ty nào|tổ chức nào",
        "where": r"ở đâu|địa chỉ|nằm ở|vị trí|tầng mấy|tòa nhà nào|chỗ nào",
        # (typed without marks, "tham gia" (take part) and "đầu tiên" (first) are no price)
        "price": r"phí|(?<!tham )giá|(?<!đầu )tiền",
        # "đợt tới" (the next round); "tới" alone is also "to", and typed without marks "tôi"
        "upcoming": r"(?:đợt|lần|năm|tháng|tuần|kỳ)(?: \w+)? tới\b|\bsắp\b|năm nay|tiếp theo|năm sau|sau này",
        "deadline": r"hạn chót|hạn nộp|hạn cuối|thời hạn",
        "past": r"\bđã\b|năm ngoái|lần trước|trước đây|\bhồi\b",
        "contact": r"điện thoại|\bsđt\b|\bsdt\b|\bemail\b|thông tin liên hệ|liên lạc|\bzalo\b",
    },
    smalltalk_phrases={
        "greeting": (
            r"xin chào",
            r"\bchào(?: bạn| anh| chị| em| ad| admin| buổi sáng| buổi chiều)?\b",
            r"\balo\b",
        ),
        "thanks": (
            r"c[ảá]m ơn(?:\s+(?:bạn|anh|chị|em|nhiều|rất nhiều|lắm|nha|nhé|ạ))*",
            r"\bthanks\b",
        ),
        "goodbye": (
            r"tạm biệt|hẹn gặp lại|\bbye\b",
            r"(?:ok(?:e|ay)?|được rồi|hiểu rồi|mình hiểu rồi|dạ vâng|vâng ạ)(?!\w)",
        ),
        "capability": (
            # "giúp (được) (mình) gì": "for me" may sit before or after "được"
            (
                r"(?:bạn|em|bot)?\s*(?:có thể )?(?:làm|giúp|hỗ trợ)(?: (?:mình|tôi|tui|tớ|em))?"
                r"(?: được)?(?: (?:cho )?(?:mình|tôi|tui|tớ|em))?(?: gì| những gì)"
            ),
            r"(?:bạn|em|bot) là ai",
            r"(?:tôi|mình|em)?\s*(?:có thể )?hỏi(?: được)?(?: \w+){0,4} (?:gì|những gì|chủ đề nào|cái gì|điều gì|vấn đề gì)",
            r"(?:bạn|em|bot)(?: này)? biết(?: trả lời)?(?: \w+){0,3} (?:gì|những gì)",
        ),
    },
    smalltalk_replies={
        "intro": (
            "Tôi là trợ lý của Seoul Startup Hub Ho Chi Minh. Tôi trả lời dựa trên tài liệu của "
            "chương trình về:"
        ),
        "hello": "Xin chào!",
        "examples": "Bạn có thể hỏi, ví dụ:",
        "more": "… và {n} chủ đề khác",
        "staff": (
            "Với những gì tài liệu chưa đề cập, tôi có thể chuyển câu hỏi của bạn cho nhân viên "
            "của hub."
        ),
        "thanks": "Không có gì! Bạn cứ hỏi thêm về hub và việc mở rộng sang Việt Nam nhé.",
        "goodbye": (
            "Rất vui được giúp bạn! Khi cần thêm thông tin về hub hay việc đưa startup sang "
            "Việt Nam, bạn cứ hỏi nhé."
        ),
    },
    smalltalk_exemplars={
        "capability": (
            "Bạn có thể giúp gì cho tôi?",
            "Tôi có thể hỏi bạn những câu gì?",
            "Bạn biết những gì?",
            "Chatbot này dùng để làm gì?",
            "Bạn là ai?",
            "Bạn trả lời được những chủ đề nào?",
            "Bạn hỗ trợ được việc gì?",
            "Tôi nên hỏi gì ở đây?",
        ),
        "greeting": (
            "Xin chào",
            "Chào bạn, rất vui được gặp",
            "Chào buổi sáng",
        ),
        "thanks": (
            "Cảm ơn bạn nhiều",
            "Cảm ơn, rất hữu ích",
            "Ok, cảm ơn nhé",
        ),
        "goodbye": (
            "Tạm biệt",
            "Được rồi, mình hiểu rồi",
            "Hẹn gặp lại",
        ),
    },
    telegram={
        "greeting": (
            "Xin chào {name}! Tôi là trợ lý của <b>Seoul Startup Hub Ho Chi Minh</b>.\n\nTôi trả "
            "lời các câu hỏi về hub, dịch vụ và thành viên, các cơ quan và trường đại học đối "
            "tác, và việc mở rộng sang Việt Nam. Câu trả lời chỉ lấy từ tài liệu của chương "
            "trình, kèm danh sách tài liệu đã dùng.\n\nHãy nhập câu hỏi của bạn. Nếu tôi không "
            "giúp được, hãy bấm “Hỏi nhân viên”.\nNgôn ngữ: /lang ko | en | vi | ja"
        ),
        "language_set": "Tôi sẽ trò chuyện với bạn bằng tiếng Việt.",
        "language_usage": "Chọn ngôn ngữ: /lang ko, /lang en, /lang vi hoặc /lang ja.",
        "sources": "Nguồn",
        "verified": "xác minh",
        "more": "Xem thêm",
        "less": "Thu gọn",
        "sources_button": "Nguồn ({n})",
        "sources_hide": "Ẩn nguồn",
        "answer_expired": "Câu trả lời này đã hết hạn. Vui lòng gửi lại câu hỏi.",
        "example_expired": "Câu hỏi mẫu này không còn nữa. Vui lòng nhập câu hỏi của bạn.",
        "examples_intro": "Hoặc bấm vào một trong các câu hỏi sau:",
        "unsure_offer": (
            "Tôi không chắc câu trả lời này đúng ý bạn. Để hỏi lại nhân viên hub, hãy bấm "
            "“{button}”."
        ),
        # Where a source came from when staff published it (bot/rag/provenance.py).
        "origin_upload": "nhân viên tải lên ngày {date}",
        "origin_faq": "lưu từ câu trả lời của nhân viên ngày {date}",
        "ask_staff": "Hỏi nhân viên",
        "decline_offer": "Bạn có muốn tôi chuyển câu hỏi cho nhân viên của hub không?",
        "thanks_feedback": "Cảm ơn phản hồi của bạn!",
        "what_was_wrong": "Xin lỗi bạn. Câu trả lời sai ở đâu? Hãy trả lời tin nhắn này.",
        "comment_saved": "Cảm ơn bạn, tôi đã ghi nhận để cải thiện câu trả lời.",
        "feedback_unknown": "Tôi không tìm thấy câu trả lời đó nữa.",
        "handoff_opened": (
            "Tôi đã chuyển câu hỏi của bạn cho nhân viên hub. Họ sẽ trả lời tại đây; cho đến khi "
            "họ kết thúc cuộc trò chuyện, tin nhắn của bạn sẽ được gửi thẳng cho họ."
        ),
        "handoff_already_open": (
            "Câu hỏi của bạn đã được chuyển cho nhân viên hub; họ sẽ trả lời tại đây."
        ),
        "handoff_unavailable": (
            "Xin lỗi, hiện tôi không thể kết nối với nhân viên hub từ đây. Vui lòng liên hệ trực "
            "tiếp với hub (hãy hỏi tôi “Làm sao liên hệ với hub?”)."
        ),
        "staff_says": "Nhân viên hub",
        "handoff_resolved": (
            "Nhân viên hub đã kết thúc cuộc trò chuyện. Tôi sẽ tiếp tục trả lời câu hỏi của bạn."
        ),
        "rate_limited": "Bạn gửi câu hỏi hơi nhanh. Vui lòng đợi khoảng một phút rồi thử lại.",
        "error": "Xin lỗi, đã có lỗi xảy ra. Vui lòng thử lại sau giây lát.",
        "staff_only": "Xin lỗi, chỉ nhân viên hub mới dùng được chức năng này.",
        "text_only": "Tôi chỉ đọc được tin nhắn văn bản. Vui lòng nhập câu hỏi.",
    },
    widget={
        "title": "Trợ lý Seoul Startup Hub HCMC",
        "open": "Mở trò chuyện với trợ lý của hub",
        "close": "Đóng trò chuyện",
        "intro": (
            "Xin chào! Hãy hỏi tôi về Seoul Startup Hub Hồ Chí Minh và việc đưa startup sang "
            "Việt Nam."
        ),
        "label": "Câu hỏi của bạn",
        "placeholder": "Nhập câu hỏi…",
        "send": "Gửi",
        "typing": "Trợ lý đang trả lời…",
        "you": "Bạn",
        "bot": "Trợ lý",
        "sources": "Nguồn",
        "verified": "xác minh",
        "uploaded": "nhân viên tải lên ngày {date}",
        "savedFaq": "lưu từ câu trả lời của nhân viên ngày {date}",
        "rate": "Câu trả lời có hữu ích không?",
        "up": "Hữu ích",
        "down": "Không hữu ích",
        "recorded": "Cảm ơn — phản hồi của bạn đã được ghi nhận.",
        "feedbackFailed": "Không lưu được phản hồi.",
        "askStaff": "Hỏi nhân viên",
        "handoffIntro": "Để lại liên hệ và câu hỏi; nhân viên của hub sẽ trả lời bạn.",
        "contact": "E-mail, điện thoại hoặc Telegram",
        "question": "Câu hỏi",
        "submit": "Gửi cho nhân viên",
        "cancel": "Hủy",
        "handoffSent": "Đã gửi. Nhân viên của hub sẽ liên hệ với bạn.",
        "handoffFailed": "Không gửi được yêu cầu. Vui lòng thử lại.",
        "error": "Xin lỗi, đã có lỗi. Vui lòng thử lại.",
        "network": "Không kết nối được với trợ lý. Kiểm tra kết nối và thử lại.",
        "rateLimited": "Bạn hỏi quá nhanh. Vui lòng chờ {s} giây rồi thử lại.",
        "tooLong": "Câu hỏi quá dài (tối đa 1.000 ký tự).",
        "newChat": "Cuộc trò chuyện mới",
        "examples": "Bạn có thể hỏi, ví dụ:",
        "more": "Xem thêm",
        "less": "Thu gọn",
        "sourcesOne": "1 nguồn",
        "sourcesMany": "{n} nguồn",
        "unsureNote": (
            "Câu trả lời này có thể chưa đầy đủ. Nhân viên của hub có thể kiểm tra giúp bạn."
        ),
    },
)
