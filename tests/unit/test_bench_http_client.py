"""The bench's HTTP client reads an answer from a JSON body or from an SSE stream."""

from __future__ import annotations

import httpx
import pytest

from bench.clients import RpcError
from bench.http_client import _reply, key_digest


def test_answers_in_json_or_in_an_event_stream() -> None:
    json_body = httpx.Response(200, json={"jsonrpc": "2.0", "id": 3, "result": {"ok": 1}})
    assert _reply(json_body, 3)["result"] == {"ok": 1}
    stream = 'event: message\r\ndata: {"method":"x"}\r\n\r\nevent: message\r\ndata: {"id":4,"result":{}}\r\n'
    assert _reply(httpx.Response(200, text=stream, headers={"content-type": "text/event-stream"}), 4)["id"] == 4
    with pytest.raises(RpcError):
        _reply(httpx.Response(200, text="event: ping\r\n", headers={"content-type": "text/event-stream"}), 5)


def test_the_key_digest_is_what_hash_key_prints() -> None:
    assert key_digest("k") == "8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a"
