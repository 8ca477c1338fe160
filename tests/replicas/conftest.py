"""A real redis-server per test module (tests/redis_server.py, saving to disk when stopped, as in production),
emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer, running_redis


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    folder: Path = tmp_path_factory.mktemp("redis")
    with running_redis(folder, persist=True) as server:
        yield server


@pytest.fixture
def redis(redis_server: RedisServer) -> RedisServer:
    if redis_server.process is None:  # a test stopped it
        redis_server.start()
    redis_server.command("FLUSHALL")
    return redis_server
