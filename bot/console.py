"""Terminal output for staff: a progress bar while embedding and the ingest summary table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.core import Core
from bot.metrics import Metrics, tracked_ingest
from bot.rag.answer import Answer
from bot.rag.indexer import IngestReport, ProgressCallback

err_console = Console(stderr=True)


@contextmanager
def embedding_progress(enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr, fed by the indexer's (done, total) callback."""
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]Embedding chunks"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task("embed", total=total)
        progress.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if task is not None:
            progress.stop()


def print_report(report: IngestReport, console: Console | None = None) -> None:
    """Summary table: counts per outcome, then each failure with its reason."""
    console = console or Console()
    table = Table(title="Ingest summary", show_header=True, header_style="bold")
    table.add_column("outcome")
    table.add_column("files", justify="right")
    table.add_column("details", overflow="fold")
    rows = [
        ("added", report.added),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("renamed", report.renamed),
        ("deleted", report.deleted),
    ]
    for name, items in rows:
        shown = ", ".join(items[:6]) + (f" … (+{len(items) - 6})" if len(items) > 6 else "")
        table.add_row(name, str(len(items)), shown if name != "unchanged" else "")
    table.add_row(
        "[red]failed[/red]" if report.failed else "failed", str(len(report.failed)), ""
    )
    console.print(table)
    for failure in report.failed:
        console.print(f"  [red]✗[/red] {failure.path}: {failure.reason}", highlight=False)
    if report.skipped:
        console.print(
            f"  skipped {len(report.skipped)} file(s) of unsupported type: "
            + ", ".join(report.skipped[:5]),
            highlight=False,
        )
    console.print(
        f"{report.chunks_embedded} chunk(s) embedded in {report.seconds:.2f} s", highlight=False
    )


def print_answer(answer: Answer, console: Console | None = None) -> None:
    """An answer with its numbered sources, for the terminal."""
    console = console or Console()
    console.print(answer.answer, highlight=False, markup=False)
    if answer.outcome == "unsure":
        console.print("(unsure: the hub staff can confirm — ask them through the chat)", highlight=False)
    if answer.sources:
        console.print()
        for number, source in enumerate(answer.sources, start=1):
            where = f"{source.title} — {source.section}" if source.section else source.title
            if source.origin == "upload":
                dated = f" (uploaded by staff on {source.added_on})"
            elif source.origin == "faq":
                dated = f" (saved from a staff answer on {source.added_on})"
            else:
                dated = f" (verified {source.last_verified})" if source.last_verified else ""
            console.print(f"[{number}] {where} · {source.source}{dated}", highlight=False, markup=False)


def index_if_empty(assistant: Core, metrics: Metrics, *, show_progress: bool) -> None:
    """First run on a new machine: index KNOWLEDGE_DIR, with progress and the summary on stderr.

    Also records the run (trigger "startup") and the index size in the service metrics.
    """
    chunks = assistant.chunk_count()
    metrics.index_chunks.set(chunks)
    stale = chunks > 0 and assistant.index_stale()
    if chunks > 0 and not stale:
        return
    what = "was built by another model or version: re-indexing" if stale else "is empty: indexing"
    err_console.print(
        f"The index {what} {assistant.settings.knowledge_dir} first…", highlight=False
    )
    with embedding_progress(show_progress) as progress:
        report = tracked_ingest(
            metrics, "startup", assistant, lambda: assistant.ensure_index(progress) or IngestReport()
        )
    print_report(report, err_console)
