"""Command-line front door: `python -m bot [serve|ask|chat|eval]` and `ingest.py`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from bot import languages
from bot.config import Settings
from bot.errors import AssistantError, ConfigError
from bot.logs import setup_logging

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def load_settings(data_dir: str | None = None) -> Settings:
    """Settings from the environment, with --data-dir applied; ConfigError names the bad key."""
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first.get("loc") else "?"
        raise ConfigError(f"invalid setting {name}: {first['msg']}") from exc
    if data_dir:
        settings = settings.model_copy(update={"data_dir": Path(data_dir)})
    return settings


# --- ingest -----------------------------------------------------------------------------------


def ingest_main(argv: list[str] | None = None) -> int:
    """`ingest.py [PATH ...] [--data-dir DIR] [--json]` — exit 0 all indexed, 1 some failed, 2 usage."""
    parser = argparse.ArgumentParser(
        prog="ingest.py", description="Index knowledge files (.md .txt .pdf .docx .html)."
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: KNOWLEDGE_DIR)")
    parser.add_argument("--data-dir", help="where the index lives (default: DATA_DIR or ./data)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    setup_logging(quiet=True)

    from bot.console import embedding_progress, print_report
    from bot.rag.indexer import UsageError

    try:
        settings = load_settings(args.data_dir)
        setup_logging(settings, quiet=True)
        missing = [str(p) for p in args.paths if not p.exists() and not p.is_symlink()]
        if missing:
            raise UsageError(f"no such file or folder: {', '.join(missing)}")
        from bot.service import running_service

        service = running_service(settings)
        if service is not None:
            # Two processes must never open the embedded store: the service does the work.
            report = _ingest_through_service(settings, service, list(args.paths))
        else:
            from bot.rag.assistant import Assistant

            assistant = Assistant(settings)
            with embedding_progress(not args.json and sys.stderr.isatty()) as progress:
                report = assistant.ingest(list(args.paths) or None, progress=progress)
    except UsageError as exc:
        print(f"ingest.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"ingest.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AssistantError as exc:
        print(f"ingest.py: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print_report(report)
    return EXIT_FAILED if report.failed else EXIT_OK


def _ingest_through_service(settings: Settings, service: dict[str, object], paths: list[Path]):
    """Hand the ingest to the service that owns DATA_DIR, over its admin API."""
    import httpx

    from bot.rag.indexer import IngestReport, UsageError

    if settings.admin_token is None:
        raise UsageError(
            f"a service is running on DATA_DIR={settings.data_dir} (pid {service.get('pid')}); "
            "set ADMIN_TOKEN so ingest.py can hand it the work, or stop the service"
        )
    host = str(service.get("host") or "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    url = f"http://{host}:{service.get('port')}/api/admin/ingest"
    try:
        reply = httpx.post(
            url,
            json={"paths": [str(p.expanduser().resolve()) for p in paths]},
            headers={"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"},
            timeout=None,  # a large folder takes as long as it takes; the service reports back
        )
    except httpx.HTTPError as exc:
        raise AssistantError(f"the running service at {host} did not answer ({exc})") from exc
    if reply.status_code != 200:
        detail = reply.json().get("detail") if reply.headers.get("content-type", "").startswith(
            "application/json"
        ) else reply.text[:200]
        if reply.status_code in (401, 403, 422):
            raise UsageError(f"the running service refused the ingest: {detail}")
        raise AssistantError(f"the running service failed the ingest ({reply.status_code})")
    print(f"ingest.py: handed to the running service (pid {service.get('pid')})", file=sys.stderr)
    return IngestReport.from_dict(reply.json())


# --- ask / chat -------------------------------------------------------------------------------


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import print_answer
    from bot.startup import open_assistant

    assistant = open_assistant(settings, show_progress=not args.json and sys.stderr.isatty())
    if args.question == ["-"]:
        for line in sys.stdin:
            question = line.strip()
            if not question:
                continue
            answer = assistant.answer(question, args.language)
            if args.json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            else:
                print_answer(answer)
        return EXIT_OK
    question = " ".join(args.question).strip()
    if not question:
        print("ask: error: the question is empty", file=sys.stderr)
        return EXIT_USAGE
    answer = assistant.answer(question, args.language)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print_answer(answer)
    return EXIT_OK


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import print_answer
    from bot.startup import open_assistant

    assistant = open_assistant(settings, show_progress=True)
    print(f"Seoul Startup Hub Ho Chi Minh assistant — ask in {languages.spoken()}. "
          "Empty line or Ctrl-D to quit.")  # fmt: skip
    assistant.warm_up()
    # One conversation per console session: "How big is it?" follows the previous question.
    conversation = f"console:{os.getpid()}"
    while True:
        try:
            question = input("\n› ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return EXIT_OK
        if not question:
            return EXIT_OK
        print_answer(assistant.answer(question, conversation=conversation))


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.service import serve

    candidates = (
        settings.telegram_bot_token,
        settings.admin_token,
        settings.telegram_webhook_secret,
        settings.chroma_token,
        settings.llm_api_key,
        settings.metrics_token,
        settings.conversation_secret,
    )
    secrets = [secret.get_secret_value() for secret in candidates if secret is not None]
    setup_logging(settings, quiet=False, secrets=secrets)
    asyncio.run(serve(settings))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """`python -m bot` entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--data-dir", help="where the index lives (default: DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the service (default)")
    serve.add_argument("--data-dir", dest="sub_data_dir", help=argparse.SUPPRESS)
    ask = sub.add_parser("ask", help="answer one question, or one per stdin line with '-'")
    ask.add_argument("question", nargs="+", help="the question, or '-' to read lines from stdin")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--language", help="answer language (default: detected)")
    ask.add_argument("--data-dir", dest="sub_data_dir", help=argparse.SUPPRESS)
    chat = sub.add_parser("chat", help="interactive console for staff")
    chat.add_argument("--data-dir", dest="sub_data_dir", help=argparse.SUPPRESS)
    evaluate = sub.add_parser("eval", help="evaluate answer quality on question sets")
    evaluate.add_argument(
        "files", nargs="*", type=Path, help="question JSONL files or folders (default: eval/)"
    )
    evaluate.add_argument(
        "--split", choices=("heldout", "train", "all"), default="all",
        help="which questions to score (the gate reads held-out)",
    )  # fmt: skip
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.add_argument("--misses", action="store_true", help="list every failed question")
    evaluate.add_argument("--gate", action="store_true", help="exit 1 when a held-out gate fails")
    evaluate.add_argument(
        "--fit", action="store_true",
        help="fit the scoring weights and thresholds on the train split (writes scoring.json)",
    )  # fmt: skip
    evaluate.add_argument("--data-dir", dest="sub_data_dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    command = args.command or "serve"
    setup_logging(quiet=command != "serve")  # until the settings say otherwise
    try:
        settings = load_settings(getattr(args, "sub_data_dir", None) or args.data_dir)
        setup_logging(settings, quiet=command != "serve")
        match command:
            case "ask":
                return _ask(args, settings)
            case "chat":
                return _chat(args, settings)
            case "eval":
                from bot.evaluation import eval_main

                return eval_main(args, settings)
            case _:
                return _serve(args, settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
