"""The harness itself: what later fault tests rely on it to do."""

from __future__ import annotations

import redis

from tests.integration.conftest import PrivateRedis, _group_members


def test_private_redis_restarts_empty_and_leaves_no_process(private_redis: PrivateRedis) -> None:
    """Fault tests restart the broker to simulate losing its queue: that only works if the
    private Redis really keeps nothing across a restart, and is really gone when stopped."""
    client = redis.Redis.from_url(private_redis.url, socket_connect_timeout=1)
    try:
        client.rpush("celery", "a queued task")
        assert client.llen("celery") == 1

        private_redis.restart()

        assert client.llen("celery") == 0  # redis-py reconnects to the new server
    finally:
        client.close()

    assert private_redis.process is not None
    pgid = private_redis.process.pid
    private_redis.kill()
    assert not private_redis.answers()
    assert _group_members(pgid) == []
