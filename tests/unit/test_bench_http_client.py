"""The bench's HTTP client reads an answer from a JSON body or from an SSE stream."""

from __future__ import annotations

import httpx
import pytest

from bench.clients import RpcError
from bench.http_client import _reply


def test_answers_in_json_or_in_an_event_stream() -> None:
    json_body = httpx.Response(200, json={"jsonrpc": "2.0", "id": 3, "result": {"ok": 1}})
    assert _reply(json_body, 3)["result"] == {"ok": 1}
    stream = 'event: message\r\ndata: {"method":"x"}\r\n\r\nevent: message\r\ndata: {"id":4,"result":{}}\r\n'
    assert _reply(httpx.Response(200, text=stream, headers={"content-type": "text/event-stream"}), 4)["id"] == 4
    with pytest.raises(RpcError):
        _reply(httpx.Response(200, text="event: ping\r\n", headers={"content-type": "text/event-stream"}), 5)
