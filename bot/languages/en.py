"""English: everything the bot needs to read and write it (texts byte-identical to
what the channels and the core said before the registry)."""

from __future__ import annotations

from bot.languages.language import Language

LANGUAGE = Language(
    code="en",
    name="English",
    names={
        "en": "English",
        "ko": "Korean",
        "vi": "Vietnamese",
        "ja": "Japanese",
    },
    decline=(
        "I'm sorry — the programme documents I have do not cover this question, so I can't "
        "answer it reliably. The hub staff can: please send them your question."
    ),
    unavailable="The assistant is temporarily unavailable. Please try again in a few minutes.",
    other_language_note=(
        "(No English document covers this; the answer is taken from a {lang} document.)"
    ),
    question_words=r"\b(?:what|where|when|who|whom|whose|how|why|which)\b",
    request_words=(
        r"\b(?:tell|show|give|send) (?:me|us)\b|\b(?:explain|describe|list)\b|"
        r"\b(?:i|we)(?:'d| would) like to know\b|\b(?:i|we) (?:want|need) to know\b"
    ),
    question_cues={
        "number": r"\bhow (?:many|much|big|large|long|far)\b|\b(?:size|area|number of|percent|rate|figures?|amount)\b",
        "date": r"\bwhen\b|\bwhat (?:year|date|day|time)\b|\bdeadline\b|\bsince when\b|\buntil\b",
        "who": r"\bwho\b|\bwhose\b|\bheaded by\b|\bin charge\b|\bwhich (?:agency|organi[sz]ation|company|companies)\b",
        "where": r"\bwhere\b|\baddress\b|\blocated\b|\blocation\b|\bwhich (?:building|floor|city|district)\b",
        "price": r"\b(?:fees?|costs?|prices?|rent|rental|charges?|pay)\b",
        # the next call, this year's deadline: a date still to come, not one already past
        "upcoming": r"\b(?:next|upcoming|coming|this year|this month|future)\b",
        # a deadline asked without a year or a past tense is the one still to come
        "deadline": r"\bdeadlines?\b|\bdue date\b|\bclosing date\b",
        "past": r"\b(?:was|were|did|last|previous|ago)\b",
        "contact": r"\b(?:phone|telephone|e-?mail|whatsapp|zalo|kakao(?:talk)?|contact (?:number|details|info(?:rmation)?|person))\b",
    },
    smalltalk_phrases={
        "greeting": (
            # "Hi Seoul" is a programme name, not a greeting.
            r"\b(?:hi(?![\s-]*seoul)|hello|hey|hiya|howdy|greetings|yo)\b(?![-‐]\w)(?: there)?",
            r"\bgood (?:morning|afternoon|evening|day)\b",
        ),
        "thanks": (
            r"\bthank(?:s| you)(?: (?:a lot|so much|very much))?\b",
            r"\bthx\b",
            r"\bcheers\b",
            r"\bmuch appreciated\b",
        ),
        "goodbye": (
            r"\b(?:bye[- ]bye|goodbye|bye|see you|see ya|good night|take care)\b",
            r"(?:ok(?:ay)?|alright|all right|got it|i see|understood|noted)\b",
        ),
        "capability": (
            r"\bwhat (?:can|could|do|will) you (?:do|offer|help(?: me)?(?: with)?|tell me|answer)\b",
            r"\bwhat (?:can|could|should) (?:i|we) ask\b",
            r"\bhow (?:can|could|do) you help\b",
            r"\b(?:who|what) are you\b",
            r"\bwhat is this(?: bot| chat| assistant)?\b",
            r"\bwhat (?:topics|things|subjects|kinds? of (?:questions|things|topics)|questions) (?:do|can|could) (?:you|i)\b(?: \w+){0,3}",
            r"\bwhat do you (?:know|cover)\b",
            r"\bare you (?:a |an )?(?:bot|robot|human|ai|real person|machine)\b",
            r"^\s*help\b",
        ),
    },
    smalltalk_replies={
        "intro": (
            "I'm the assistant of Seoul Startup Hub Ho Chi Minh. I answer from the programme's "
            "documents on:"
        ),
        "hello": "Hello!",
        "examples": "You could ask, for example:",
        "more": "… and {n} more",
        "staff": (
            "For anything the documents do not cover, I can pass your question to the hub staff."
        ),
        "thanks": "You're welcome! Ask me anything else about the hub and expanding to Vietnam.",
        "goodbye": (
            "Glad I could help! Come back any time with more questions about the hub or "
            "expanding to Vietnam."
        ),
    },
    smalltalk_exemplars={
        "capability": (
            "What can you do?",
            "How can you help me?",
            "What kind of questions can I ask you?",
            "What do you know about?",
            "What is this chatbot for?",
            "Who are you?",
            "What topics can you answer?",
            "What services can you help me with?",
        ),
        "greeting": (
            "Hello",
            "Hi, good morning",
            "Hey there, nice to meet you",
        ),
        "thanks": (
            "Thank you very much",
            "Thanks, that was helpful",
            "Great, thanks a lot",
        ),
        "goodbye": (
            "Bye",
            "Okay, got it",
            "See you later, goodbye",
        ),
    },
    telegram={
        "greeting": (
            "Hello {name}! I am the assistant of <b>Seoul Startup Hub Ho Chi Minh</b>.\n\nI "
            "answer questions about the hub, its services and membership, its partner agencies "
            "and universities, and expanding to Vietnam. My answers come only from the programme "
            "documents, and I list the documents I used under each answer.\n\nJust type your "
            "question. If I cannot help, tap “Ask a staff member”.\nLanguage: /lang ko | en | vi "
            "| ja"
        ),
        "language_set": "I will talk to you in English.",
        "language_usage": "Choose a language: /lang ko, /lang en, /lang vi or /lang ja.",
        "sources": "Sources",
        "verified": "verified",
        "more": "More",
        "less": "Less",
        "sources_button": "Sources ({n})",
        "sources_hide": "Hide sources",
        "answer_expired": "This answer has expired. Please ask your question again.",
        "example_expired": "This example is no longer available. Please type your question.",
        "examples_intro": "Or tap one of these questions:",
        "unsure_offer": (
            "I am not fully sure this answers your question. To check with the hub staff, tap "
            "“{button}”."
        ),
        # Where a source came from when staff published it (bot/rag/provenance.py).
        "origin_upload": "uploaded by staff on {date}",
        "origin_faq": "saved from a staff answer on {date}",
        "ask_staff": "Ask a staff member",
        "decline_offer": "Would you like me to pass your question to the hub staff?",
        "thanks_feedback": "Thank you for your feedback!",
        "what_was_wrong": (
            "Sorry about that. What was wrong with the answer? Reply to this message."
        ),
        "comment_saved": "Thank you, I have passed this on so the answer can be improved.",
        "feedback_unknown": "I could not find that answer any more.",
        "handoff_opened": (
            "I have passed your question to the hub staff. They will reply here; until they "
            "close the conversation, your messages go straight to them."
        ),
        "handoff_already_open": (
            "Your question is already with the hub staff; they will reply here."
        ),
        "handoff_unavailable": (
            "Sorry, I cannot reach the hub staff from here right now. Please contact the hub "
            "directly (ask me “How do I contact the hub?”)."
        ),
        "staff_says": "Hub staff",
        "handoff_resolved": (
            "The hub staff have closed this conversation. I will answer your questions again — "
            "ask me anything."
        ),
        "rate_limited": "You are sending questions faster than I can answer. Please wait a minute.",
        "error": "Sorry, something went wrong on my side. Please try again in a moment.",
        "staff_only": "Sorry, only the hub staff can do that.",
        "text_only": "I can only read text messages. Please type your question.",
    },
    unsupported=(
        "Sorry — I can only read questions written in {languages}. Please ask again in one of "
        "these languages, or send your question to the hub staff."
    ),
    widget={
        "title": "Seoul Startup Hub HCMC assistant",
        "open": "Open the hub assistant chat",
        "close": "Close chat",
        "intro": (
            "Hello! Ask me about Seoul Startup Hub Ho Chi Minh and expanding your startup to "
            "Vietnam."
        ),
        "label": "Your question",
        "placeholder": "Type your question…",
        "send": "Send",
        "typing": "The assistant is typing…",
        "you": "You",
        "bot": "Assistant",
        "sources": "Sources",
        "verified": "verified",
        "uploaded": "uploaded by staff on {date}",
        "savedFaq": "saved from a staff answer on {date}",
        "rate": "Was this answer helpful?",
        "up": "Helpful",
        "down": "Not helpful",
        "recorded": "Thanks — your feedback was recorded.",
        "feedbackFailed": "Your feedback could not be saved.",
        "askStaff": "Ask a staff member",
        "handoffIntro": "Leave your contact and question; a hub staff member will reply.",
        "contact": "E-mail, phone or Telegram",
        "question": "Your question",
        "submit": "Send to staff",
        "cancel": "Cancel",
        "handoffSent": "Sent. A staff member of the hub will contact you.",
        "handoffFailed": "Your request could not be sent. Please try again.",
        "error": "Sorry, something went wrong. Please try again.",
        "network": "The assistant cannot be reached. Check your connection and try again.",
        "rateLimited": "You are asking very quickly. Please wait {s} seconds and try again.",
        "tooLong": "Your question is too long (at most 1,000 characters).",
        "newChat": "New conversation",
        "examples": "You could ask, for example:",
        "more": "Show more",
        "less": "Show less",
        "sourcesOne": "1 source",
        "sourcesMany": "{n} sources",
        "unsureNote": (
            "This may not fully answer your question. A hub staff member can check it for you."
        ),
    },
)
