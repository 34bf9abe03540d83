"""Streaming multipart/form-data reader for one uploaded file (its name: bot/filenames.py).

The upload is written to disk as it arrives and its size is checked on every chunk, so an
oversized file is refused without being held in memory. python-multipart's streaming parser
(the one Starlette uses for forms) splits the body; this module keeps the caps and the
messages. A preamble before the first delimiter (which no browser sends) is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message as EmailMessage
from email.utils import collapse_rfc2231_value
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

MAX_HEADER_BYTES = 8 * 1024
# Browsers send two or three headers per part.
MAX_HEADER_COUNT = 16
MAX_FIELD_BYTES = 64 * 1024


class UploadError(Exception):
    """The upload request is malformed or not acceptable; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class UploadedFile:
    """The file part of a multipart upload, already written to ``sink``."""

    field: str
    filename: str
    size: int


def boundary_of(content_type: str) -> bytes:
    """The boundary of a multipart/form-data Content-Type, or UploadError."""
    message = EmailMessage()
    message["content-type"] = content_type or ""
    if message.get_content_type() != "multipart/form-data":
        raise UploadError("expected a multipart/form-data upload with a 'file' field", 415)
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 70:
        raise UploadError("multipart upload without a valid boundary")
    return boundary.encode("latin-1")


def _part_headers(raw: bytes) -> tuple[str, str | None]:
    """(field name, file name or None) from a part's headers."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UploadError("multipart part headers are not UTF-8") from exc
    message = EmailMessage()
    for line in text.split("\r\n"):
        if ":" in line:
            key, _, value = line.partition(":")
            message[key.strip()] = value.strip()
    disposition = message.get("content-disposition")
    if disposition is None or message.get_content_disposition() != "form-data":
        raise UploadError("multipart part without Content-Disposition: form-data")
    name = message.get_param("name", header="content-disposition")
    if isinstance(name, tuple):
        name = collapse_rfc2231_value(name)
    filename = message.get_param("filename", header="content-disposition")
    if not isinstance(name, str):
        raise UploadError("multipart part without a field name")
    if isinstance(filename, tuple):  # RFC 2231 form: filename*=utf-8''name
        filename = collapse_rfc2231_value(filename)
    return name, filename


async def read_single_file(
    stream: AsyncIterator[bytes],
    boundary: bytes,
    sink: BinaryIO,
    max_file_bytes: int,
    field: str = "file",
) -> UploadedFile:
    """Stream the one file field ``field`` into ``sink``; other small fields are ignored.

    python-multipart's streaming parser finds the parts; the size of each part is checked
    on every piece it hands over, before the piece is written.
    """
    part = _Part(field, sink, max_file_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": part.begin,
            "on_header_field": part.header_field,
            "on_header_value": part.header_value,
            "on_header_end": part.header_end,
            "on_headers_finished": part.headers_finished,
            "on_part_data": part.data,
            "on_part_end": part.end,
            "on_end": part.body_end,
        },
        max_header_count=MAX_HEADER_COUNT,
        max_header_size=MAX_HEADER_BYTES,
    )
    async for chunk in stream:
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            if not part.parts:
                raise UploadError("malformed multipart body (no boundary)") from exc
            if "header" in str(exc).lower():
                raise UploadError("multipart part headers too large") from exc
            raise UploadError("malformed multipart body (bad delimiter line)") from exc
        if part.done:
            break  # an epilogue after the closing delimiter is ignored
    if not part.done:
        raise UploadError("malformed multipart body (truncated)")
    if part.found is None:
        raise UploadError(f"no file in the '{field}' field", 422)
    return part.found


class _Part:
    """The parser's callbacks: collect each part's headers, stream the file part to the sink."""

    def __init__(self, field: str, sink: BinaryIO, max_file_bytes: int) -> None:
        self.field, self.sink, self.max_file_bytes = field, sink, max_file_bytes
        self.parts = 0
        self.done = False
        self.found: UploadedFile | None = None
        self._headers = bytearray()
        self._name = self._value = b""
        self._is_file = False
        self._filename = ""
        self._size = 0

    def begin(self) -> None:
        self.parts += 1
        self._headers.clear()
        self._name = self._value = b""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers += self._name + b": " + self._value + b"\r\n"
        if len(self._headers) > MAX_HEADER_BYTES:
            raise UploadError("multipart part headers too large")
        self._name = self._value = b""

    def headers_finished(self) -> None:
        name, filename = _part_headers(bytes(self._headers))
        self._is_file = name == self.field and filename is not None
        if self._is_file:
            if self.found is not None:
                raise UploadError("upload exactly one file per request")
            self._filename = filename or ""
        self._size = 0

    def data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._is_file:
            if self._size > self.max_file_bytes:
                raise UploadError(
                    f"file is larger than the {self.max_file_bytes / 1048576:g} MB limit", 413
                )
            self.sink.write(data[start:end])
        elif self._size > MAX_FIELD_BYTES:
            raise UploadError("form field too large", 413)

    def end(self) -> None:
        if self._is_file:
            self.found = UploadedFile(self.field, self._filename, self._size)
            self._is_file = False

    def body_end(self) -> None:
        self.done = True
