"""Streaming multipart/form-data reader for one uploaded file (its name: bot/filenames.py).

The upload is written to disk as it arrives and its size is checked on every chunk, so an
oversized file is refused without being held in memory. (Stdlib only: the project does not
depend on python-multipart.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message as EmailMessage
from email.utils import collapse_rfc2231_value
from typing import BinaryIO

MAX_HEADER_BYTES = 8 * 1024
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
    """Stream the one file field ``field`` into ``sink``; other small fields are ignored."""
    delimiter = b"\r\n--" + boundary
    buffer = bytearray(b"\r\n")  # the first delimiter has no leading CRLF: add one
    state = "preamble"
    preamble = 0
    current_is_file = False
    field_size = 0
    found: UploadedFile | None = None
    filename = ""

    async for chunk in stream:
        buffer += chunk
        while True:
            if state == "preamble":
                index = buffer.find(delimiter)
                skipped = index if index >= 0 else max(0, len(buffer) - len(delimiter))
                preamble += skipped
                # Browsers send no preamble; a long one means this is not our multipart body.
                if preamble > MAX_HEADER_BYTES:
                    raise UploadError("malformed multipart body (no boundary)")
                if index < 0:
                    del buffer[:skipped]
                    break
                del buffer[: index + len(delimiter)]
                state = "after_delimiter"
            if state == "after_delimiter":
                if len(buffer) < 2:
                    break
                if buffer[:2] == b"--":
                    state = "done"
                    break
                if buffer[:2] != b"\r\n":
                    raise UploadError("malformed multipart body (bad delimiter line)")
                del buffer[:2]
                state = "headers"
            if state == "headers":
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEADER_BYTES:
                        raise UploadError("multipart part headers too large")
                    break
                name, part_filename = _part_headers(bytes(buffer[:end]))
                del buffer[: end + 4]
                current_is_file = name == field and part_filename is not None
                if current_is_file:
                    if found is not None:
                        raise UploadError("upload exactly one file per request")
                    filename = part_filename or ""
                field_size = 0
                state = "body"
            if state == "body":
                index = buffer.find(delimiter)
                # Keep a tail that could be the start of a delimiter split across chunks.
                take = index if index >= 0 else max(0, len(buffer) - len(delimiter) + 1)
                if take:
                    field_size += take
                    if current_is_file:
                        if field_size > max_file_bytes:
                            raise UploadError(
                                f"file is larger than the {max_file_bytes / 1048576:g} MB limit",
                                413,
                            )
                        sink.write(buffer[:take])
                    elif field_size > MAX_FIELD_BYTES:
                        raise UploadError("form field too large", 413)
                    del buffer[:take]
                if index < 0:
                    break
                del buffer[: len(delimiter)]
                if current_is_file:
                    found = UploadedFile(field, filename, field_size)
                state = "after_delimiter"
        if state == "done":
            break
    if state != "done":
        raise UploadError("malformed multipart body (truncated)")
    if found is None:
        raise UploadError(f"no file in the '{field}' field", 422)
    return found
