"""Bad files through the real worker process and through Assistant.ingest next to good files."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import IngestError
from bot.rag.assistant import Assistant
from bot.rag.loaders import ParsedDocument, ParserPool, parse_bytes
from tests.conftest import make_settings
from tests.rag.files import broken_xml_docx, slow_html, write_md, zip_bomb_docx
from tests.robust.inputs import (
    docx_bases,
    docx_inputs,
    html_inputs,
    markdown_inputs,
    pdf_bases,
    pdf_inputs,
    text_inputs,
)

ANY_FILE = st.one_of(
    pdf_inputs().map(lambda raw: ("x.pdf", raw)),
    docx_inputs().map(lambda raw: ("x.docx", raw)),
    html_inputs().map(lambda raw: ("x.html", raw)),
    markdown_inputs().map(lambda raw: ("x.md", raw)),
    text_inputs().map(lambda raw: ("x.txt", raw)),
)


def in_process(raw: bytes, name: str) -> ParsedDocument | str:
    """The document, or the IngestError reason, from parsing in this process."""
    try:
        return parse_bytes(raw, Path(name))
    except IngestError as exc:
        return exc.reason


def test_worker_process_gives_the_same_verdict_as_in_process_parsing() -> None:
    """30 generated files through ParserPool: same document or same reason as in-process."""
    with ParserPool(max_bytes=20 * 1024 * 1024, timeout=60) as pool, tempfile.TemporaryDirectory(
    ) as tmp:  # fmt: skip

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(item=ANY_FILE)
        def run(item: tuple[str, bytes]) -> None:
            name, raw = item
            path = Path(tmp) / name
            path.write_bytes(raw)
            expected = in_process(raw, name)
            try:
                got: ParsedDocument | str = pool.parse(path)
            except IngestError as exc:
                got = exc.reason
            if isinstance(expected, str):
                assert got == expected
            else:
                assert isinstance(got, ParsedDocument)
                assert (got.title, got.sections) == (expected.title, expected.sections)

        run()


def test_a_file_over_its_time_limit_costs_only_that_file(tmp_path: Path) -> None:
    slow = tmp_path / "slow.html"
    slow.write_bytes(slow_html(8))
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nStill parsed after the worker was killed.", encoding="utf-8")
    with ParserPool(max_bytes=20 * 1024 * 1024, timeout=0.3) as pool:
        try:
            pool.parse(slow)
        except IngestError as exc:
            assert "timed out" in exc.reason
        else:
            raise AssertionError("an 8 MB HTML file parsed within 0.3 s: raise its size")
        assert pool.parse(good).title == "Good"


def _bad_files(rng: random.Random) -> dict[str, bytes]:
    """Deterministic bad files of every format (each one refused by the in-process parser)."""
    pdf, _, locked = pdf_bases()
    docx = docx_bases()[0]
    files = {
        "truncated.pdf": pdf[: len(pdf) // 3],
        "locked.pdf": locked,
        "header-only.pdf": b"%PDF-1.7\n",
        "nested.pdf": b"%PDF-1.7\n" + b"<<" * 5000,
        "bomb.docx": zip_bomb_docx(),
        "broken-xml.docx": broken_xml_docx(),
        "truncated.docx": docx[: len(docx) // 2],
        "not-zip.docx": b"PK\x03\x04 nope",
        "scripts-only.html": b"<html><script>alert(1)</script><style>p{}</style></html>",
        "nul.html": b"<p>a\x00b</p>",
        "bad-yaml.md": b"---\ntitle: [unclosed\n---\nbody",
        "list-front-matter.md": b"---\n- a\n- b\n---\nbody",
        "only-front-matter.md": b"---\ntitle: x\n---\n",
        "binary.txt": bytes(rng.randrange(256) for _ in range(2000)) + b"\x00",
        "odd-utf16.txt": b"\xff\xfe" + b"a",
        "controls.txt": bytes(range(1, 9)) * 10,
        "empty.md": b"",
    }
    for index in range(4):  # randomly mutated real PDFs that no longer parse
        data = bytearray(pdf)
        for _ in range(40):
            data[rng.randrange(len(data))] = rng.randrange(256)
        files[f"mutated-{index}.pdf"] = bytes(data)
    return {name: raw for name, raw in files.items() if isinstance(in_process(raw, name), str)}


def test_ingest_reports_every_bad_file_and_indexes_the_good_ones(
    tmp_path: Path, shared_embeddings
) -> None:
    knowledge = tmp_path / "knowledge"
    write_md(knowledge / "en" / "visa.md", "Visas", "visa", {
        "Which visa do founders need?": "Founders usually enter on a business visa (DN).",
    })  # fmt: skip
    write_md(knowledge / "ko" / "office.md", "사무실", "office", {
        "사무실은 몇 층인가요?": "입주 기업 사무실은 3층에 있습니다.",
    }, lang="ko")  # fmt: skip
    bad = _bad_files(random.Random(20261126))
    assert len(bad) >= 15, sorted(bad)
    for name, raw in bad.items():
        (knowledge / "bad" / name).parent.mkdir(parents=True, exist_ok=True)
        (knowledge / "bad" / name).write_bytes(raw)

    settings = make_settings(tmp_path / "data", knowledge, parse_timeout=30.0)
    assistant = Assistant(settings, embeddings=shared_embeddings)
    report = assistant.ingest()

    reasons = {failed.path: failed.reason for failed in report.failed}
    assert set(reasons) == {f"bad/{name}" for name in bad}
    for name, raw in bad.items():
        assert reasons[f"bad/{name}"] == in_process(raw, name), name
    assert sorted(report.added) == ["en/visa.md", "ko/office.md"]
    assert [d.source for d in assistant.sources()] == ["en/visa.md", "ko/office.md"]
    answer = assistant.answer("Which visa do founders need?")
    assert answer.answered and answer.sources[0].source == "en/visa.md"
