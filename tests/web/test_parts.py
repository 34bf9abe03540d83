"""The small parts of the web channel: the sliding-window limiter and the multipart reader."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.filenames import UnsafeFileName, upload_file_name
from bot.ratelimit import SlidingWindowLimiter, retry_after_header
from bot.web.uploads import UploadError, boundary_of, read_single_file

# --- rate limiter ------------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_allows_the_limit_then_refuses_until_the_window_slides() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 60.0, clock=clock)

    allowed = [limiter.hit("a") for _ in range(3)]
    clock.now += 10
    refused = limiter.hit("a")
    clock.now += 49.5
    still_refused = limiter.hit("a")
    clock.now += 0.6  # the first three events are now more than 60 s old
    again = limiter.hit("a")

    assert allowed == [None, None, None]
    assert refused == pytest.approx(50.0)
    assert still_refused == pytest.approx(0.5)
    assert again is None


def test_limiter_keys_are_independent_and_refusals_do_not_count() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 60.0, clock=clock)

    assert limiter.hit("a") is None
    for _ in range(5):
        assert limiter.hit("a") is not None
    assert limiter.hit("b") is None
    clock.now += 60.01
    assert limiter.hit("a") is None


def test_limiter_memory_is_bounded() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(5, 60.0, clock=clock, max_clients=100)

    for i in range(1000):
        limiter.hit(f"10.0.{i // 256}.{i % 256}")
        clock.now += 0.001

    assert len(limiter) <= 100


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (41.3, "42")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


# --- multipart reader --------------------------------------------------------------------------

BOUNDARY = "----formboundary7MA4YWxkTrZu0gW"


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = BOUNDARY) -> bytes:
    """Encode form parts as a browser would."""
    out = bytearray()
    for name, filename, content in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


async def _stream(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def read(data: bytes, chunk: int = 1024, limit: int = 1 << 20) -> tuple[str, bytes]:
    sink = io.BytesIO()
    uploaded = asyncio.run(
        read_single_file(_stream(data, chunk), BOUNDARY.encode(), sink, limit)
    )
    assert uploaded.size == len(sink.getvalue())
    return uploaded.filename, sink.getvalue()


@pytest.mark.parametrize("chunk", [1, 2, 7, 38, 64, 4096])
def test_file_part_survives_any_chunking(chunk: int) -> None:
    content = b"# Title\r\n\r\n--" + BOUNDARY.encode()[:-1] + b" not quite a boundary\r\n\x00\xff"
    data = multipart([("note", None, b"hello"), ("file", "doc.md", content)])

    assert read(data, chunk) == ("doc.md", content)


@settings(max_examples=60, deadline=None, database=None)
@given(content=st.binary(max_size=3000), chunk=st.integers(min_value=1, max_value=700))
def test_any_file_content_round_trips(content: bytes, chunk: int) -> None:
    data = multipart([("file", "x.pdf", content)])

    assert read(data, chunk) == ("x.pdf", content)


def test_utf8_file_name_is_read() -> None:
    data = multipart([("file", "회사 소개.md", b"text")])

    assert read(data)[0] == "회사 소개.md"


def test_file_over_the_limit_is_refused_while_streaming() -> None:
    data = multipart([("file", "big.md", b"a" * 5000)])

    with pytest.raises(UploadError) as error:
        read(data, chunk=512, limit=4096)

    assert error.value.status == 413


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"no boundary at all" * 1000, "malformed multipart body (no boundary)"),
        (multipart([("file", "a.md", b"x")])[:-10], "malformed multipart body (truncated)"),
        (multipart([("other", None, b"x")]), "no file in the 'file' field"),
        (multipart([("file", "a.md", b"x"), ("file", "b.md", b"y")]), "upload exactly one file"),
    ],
)
def test_malformed_bodies_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(UploadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(data)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "multipart/form-data", "multipart/form-data; boundary=" + "b" * 80, ""],
)
def test_boundary_is_required(content_type: str) -> None:
    with pytest.raises(UploadError):
        boundary_of(content_type)


def test_boundary_is_read_from_the_content_type() -> None:
    assert boundary_of(f'multipart/form-data; boundary="{BOUNDARY}"') == BOUNDARY.encode()


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("guide.md", "guide.md"),
        ("Guide 2026 (final).PDF", "Guide 2026 (final).PDF"),
        ("..hidden.md", "hidden.md"),
        ("_draft.txt", "draft.txt"),
        ("a<b>c|d?.html", "a_b_c_d_.html"),
        ("ホーチミン案内.docx", "ホーチミン案内.docx"),
        ("x" * 300 + ".md", "x" * 117 + ".md"),
    ],
)
def test_safe_filename(raw: str, safe: str) -> None:
    assert upload_file_name(raw) == safe


@pytest.mark.parametrize(
    "raw", ["", "../a.md", "a/b.md", "a\\b.md", "evil.sh", "readme.md", "a.md\x00.txt", "...md"]
)
def test_unsafe_filenames_are_refused(raw: str) -> None:
    with pytest.raises(UnsafeFileName):
        upload_file_name(raw)
