"""Sentry envelope wire format: body decompression and item splitting.

An envelope is newline-delimited: a JSON header line, then per item a JSON item header line and a
payload. With `length` in the item header the payload is exactly that many bytes (then an optional
newline); without it the payload runs to the next newline.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import brotli


class EnvelopeError(ValueError):
    """The body is not a decodable envelope (bad compression, header or item framing)."""


@dataclass(frozen=True)
class EnvelopeItem:
    """One item: its header (`type`, `length`, ...) and raw payload bytes."""

    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        return str(self.headers.get("type", ""))

    def json(self) -> Any:
        """Decode the payload as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.payload.decode("utf-8"))


@dataclass(frozen=True)
class Envelope:
    headers: dict[str, Any]
    items: list[EnvelopeItem] = field(default_factory=list)


def decode_body(body: bytes, content_encoding: str | None) -> bytes:
    """Undo `Content-Encoding` (gzip, deflate, br or none); raises EnvelopeError when undecodable."""
    encoding = (content_encoding or "").strip().lower()
    try:
        if encoding in ("", "identity"):
            return body
        if encoding in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
        if encoding == "br":
            return bytes(brotli.decompress(body))
    except (OSError, EOFError, zlib.error, brotli.error) as exc:
        raise EnvelopeError(f"cannot decode {encoding} body: {exc}") from exc
    raise EnvelopeError(f"unsupported content encoding {encoding!r}")


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line.decode("utf-8")) if line.strip() else {}
    except ValueError as exc:
        raise EnvelopeError(f"invalid {what}: {exc}") from exc
    if not isinstance(value, dict):
        raise EnvelopeError(f"invalid {what}: not an object")
    return value


def parse_envelope(data: bytes) -> Envelope:
    """Split an uncompressed envelope into header and items; raises EnvelopeError on bad framing."""
    newline = data.find(b"\n")
    header_line, pos = (data, len(data)) if newline < 0 else (data[:newline], newline + 1)
    envelope = Envelope(headers=_json_object(header_line, "envelope header"))
    while pos < len(data):
        newline = data.find(b"\n", pos)
        if newline < 0:
            newline = len(data)
        line = data[pos:newline]
        pos = newline + 1
        if not line.strip():
            continue
        item_headers = _json_object(line, "item header")
        length = item_headers.get("length")
        if length is not None:
            if not isinstance(length, int) or length < 0 or pos + length > len(data):
                raise EnvelopeError("item length out of range")
            payload = data[pos : pos + length]
            pos += length
            if data[pos : pos + 1] == b"\n":
                pos += 1
        else:
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end
            payload = data[pos:end]
            pos = end + 1
        envelope.items.append(EnvelopeItem(headers=item_headers, payload=payload))
    return envelope
