"""Opening an assistant for a command-line run (ask, chat, eval, fit, benchmarks).

One helper, imported by the CLI and the evaluation alike (it used to live in the CLI, so the
two modules imported each other). The service opens its assistant itself (bot/service.py):
it serves while the store is down and indexes in the background.
"""

from __future__ import annotations

from bot.config import Settings
from bot.metrics import Metrics
from bot.rag.assistant import Assistant


def open_assistant(
    settings: Settings, *, show_progress: bool = False, refresh: bool = False
) -> Assistant:
    """An assistant over the settings' index, built first if it is empty or stale.

    ``refresh`` also brings an existing index up to date with the knowledge folder and warms
    the models up (an evaluation of last week's index would measure documents that are no
    longer there).
    """
    from bot.console import err_console, index_if_empty, print_report

    assistant = Assistant(settings)
    metrics = Metrics()
    metrics.watch(assistant)
    was_empty = assistant.chunk_count() == 0
    index_if_empty(assistant, metrics, show_progress=show_progress)
    if refresh:
        if not was_empty:
            report = assistant.ingest()
            if report.changed or report.failed:
                print_report(report, err_console)
        assistant.warm_up()
    return assistant
