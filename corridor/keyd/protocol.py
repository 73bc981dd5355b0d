"""Wire format: 4-byte big-endian length, then a UTF-8 JSON object.

Bytes travel as base64 strings. The length is checked against MAX_FRAME
before anything is read or allocated, so a hostile or buggy peer cannot make
keyd (which holds the root key) run out of memory with one header.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from typing import Any, Protocol

from .errors import BadRequest, KeydError

MAX_FRAME = 16 * 1024 * 1024
_HEADER = struct.Struct(">I")
HEADER_LEN = _HEADER.size
_dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


class Reader(Protocol):
    def read(self, n: int, /) -> bytes: ...


def encode_frame(obj: dict[str, Any]) -> bytes:
    body = _dumps(obj).encode("ascii")
    if len(body) > MAX_FRAME:
        raise BadRequest(f"frame of {len(body)} bytes exceeds the {MAX_FRAME}-byte limit")
    return _HEADER.pack(len(body)) + body


def read_body(reader: Reader) -> bytes | None:
    """Return one frame body, or None on a clean EOF between frames.

    Raises BadRequest for an oversized length (without reading the body) and
    EOFError if the peer hangs up mid-frame.
    """
    header = reader.read(HEADER_LEN)
    if not header:
        return None
    if len(header) != HEADER_LEN:
        raise EOFError("connection closed inside a frame header")
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise BadRequest(f"frame of {length} bytes exceeds the {MAX_FRAME}-byte limit")
    body = reader.read(length)
    if len(body) != length:
        raise EOFError("connection closed inside a frame")
    return body


def decode_body(body: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(body)
    except ValueError:  # includes UnicodeDecodeError
        raise BadRequest("frame is not UTF-8 JSON") from None
    if not isinstance(obj, dict):
        raise BadRequest("frame must be a JSON object")
    return obj


def read_frame(reader: Reader) -> dict[str, Any] | None:
    body = read_body(reader)
    return None if body is None else decode_body(body)


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(exc: KeydError) -> dict[str, Any]:
    return {"ok": False, "error": exc.code, "message": exc.message}


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(value: Any, what: str = "value") -> bytes:
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{what} is not valid base64") from None
