"""Redis backend: one hash per store, so a batch is one pipelined transaction and erasure one HDEL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from features.online_store.base import Record, decode, encode

KEY = "cible:customers"


class RedisStore:
    def __init__(self, url: str, key: str = KEY):
        import redis  # imported here: the embedded default (SQLite) must not need the Redis client

        self.key = key
        self._redis = redis.Redis.from_url(url)

    def put_many(self, records: Mapping[str, Record]) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for start in range(0, len(records), 5000):
            items = list(records.items())[start : start + 5000]
            pipe.hset(self.key, mapping={cid: encode(record) for cid, record in items})
        pipe.execute()

    def get(self, customer_id: str) -> Record | None:
        text = self._redis.hget(self.key, customer_id)
        return decode(text) if text is not None else None

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, Record]:
        ids = list(customer_ids)
        values = self._redis.hmget(self.key, ids) if ids else []
        return {cid: decode(v) for cid, v in zip(ids, values, strict=True) if v is not None}

    def delete(self, customer_id: str) -> bool:
        return bool(self._redis.hdel(self.key, customer_id))

    def count(self) -> int:
        return int(self._redis.hlen(self.key))

    def close(self) -> None:
        self._redis.close()
