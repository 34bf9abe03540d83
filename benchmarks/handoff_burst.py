"""Hand-off burst benchmark (issue 14, finding 6): visitors are answered while Telegram is not.

In one event loop, as `python -m bot serve` runs them: the web app under the service's uvicorn
configuration, the Telegram bot pointed at the local fake Bot API (tests/tg/fake_bot_api.py),
and ``--visitors`` (default 15) widget visitors who each send one hand-off at the same moment,
through a "proxy" on 127.0.0.2 (TRUSTED_PROXIES) that names each visitor in X-Forwarded-For.
While the visitors wait, the fake Bot API holds every sendMessage (a Telegram that does not
answer); once all visitors have their answer it is released.

Reported: hand-off response time p50/max and how many visitors were not told "sent"
(non-200 or notified=false; target 0) while Telegram was held; after the release, the time
until every hand-off is in the staff chat and the number of staff cards (target: one each).

Run: .venv/bin/python benchmarks/handoff_burst.py [--visitors 15] [--proxy-address 127.0.0.2]
Timings are for this noisy 2-core machine: read them as orders of magnitude.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import httpx
import uvicorn
from pydantic import SecretStr

from bot.config import Settings
from bot.rag.assistant import Assistant
from bot.service import uvicorn_config
from bot.state import StateStore
from bot.tg.app import TelegramService
from bot.web import create_app
from tests.tg.fake_bot_api import FakeBotAPI
from tests.web.helpers import free_port_socket

TOKEN = "1234567:AAHbenchTOKENdoNotLog_0123456789abcdefXYZ"
STAFF_CHAT = -1009876543210
PROXY = "127.0.0.2"


async def run(visitors: int, proxy: str = PROXY) -> dict[str, object]:
    api = FakeBotAPI(TOKEN).start()
    api.add_chat(STAFF_CHAT, "supergroup", "Hub staff")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(tmp) / "data",
            knowledge_dir=Path(tmp) / "knowledge",
            telegram_bot_token=SecretStr(TOKEN),
            telegram_base_url=api.base_url,
            staff_chat_id=STAFF_CHAT,
            trusted_proxies=f"{proxy}/32",
        )
        state = StateStore.from_settings(None, settings.data_dir)
        assistant = Assistant(settings)
        telegram = TelegramService(settings, assistant, state)
        await telegram.start()
        app = create_app(settings, assistant, state, notifier=telegram.notifier)
        sock = free_port_socket()
        config = uvicorn_config(app, settings)
        config.lifespan = "off"
        config.log_level = "warning"
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            gate = api.hold("sendMessage")
            transport = httpx.AsyncHTTPTransport(local_address=proxy)
            async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as http:

                async def one(i: int) -> tuple[float, bool]:
                    started = time.perf_counter()
                    try:
                        response = await http.post(
                            "/api/handoff",
                            json={"contact": f"visitor{i}@example.com",
                                  "question": f"Question {i}: can staff call me back?"},
                            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                        )  # fmt: skip
                        sent = response.status_code == 200 and response.json()["notified"]
                    except httpx.HTTPError:
                        sent = False
                    return time.perf_counter() - started, bool(sent)

                results = await asyncio.gather(*(one(i) for i in range(visitors)))
            held_while_answering = api.held("sendMessage")
            released = time.perf_counter()
            gate.set()
            await api.wait_for(
                lambda: len([c for c in api.sent(STAFF_CHAT) if "Hand-off #" in c.rendered])
                >= visitors,
                timeout=600,
                what="every hand-off in the staff chat",
            )
            delivered = time.perf_counter() - released
            cards = [c for c in api.sent(STAFF_CHAT) if "Hand-off #" in c.rendered]
        finally:
            server.should_exit = True
            await serving
            outbox = getattr(app.state, "outbox", None)  # None before the outbox existed
            if outbox is not None:
                await outbox.close()
            await telegram.stop()
            state.close()
            api.stop()
    times = sorted(t for t, _ in results)
    return {
        "visitors": visitors,
        "response_p50_s": round(statistics.median(times), 3),
        "response_max_s": round(times[-1], 3),
        "not_told_sent": sum(1 for _, sent in results if not sent),
        "staff_posts_held_while_visitors_answered": held_while_answering,
        "all_delivered_after_release_s": round(delivered, 2),
        "staff_cards": len(cards),
        "distinct_cards": len({c.rendered.split("·")[0] for c in cards}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=15)
    parser.add_argument(
        "--proxy-address", default=PROXY,
        help="loopback address the proxy connects from (127.0.0.1 to compare with builds "
        "whose uvicorn trusted X-Forwarded-For from 127.0.0.1 only)",
    )  # fmt: skip
    args = parser.parse_args()
    result = asyncio.run(run(args.visitors, args.proxy_address))
    for key, value in result.items():
        print(f"{key:45} {value}")
    ok = result["not_told_sent"] == 0 and result["staff_cards"] == args.visitors
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
