"""Redis backend: one hash for the records, so a batch is one pipelined transaction and erasure one HDEL;
events in per-visitor and per-customer sorted sets, appended by one Lua script so a batch is atomic and
idempotent on event id."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from features.online_store.base import (
    EVENT_TTL_SECONDS,
    MAX_EVENTS_PER_KEY,
    Record,
    RecordChanges,
    StoredEvent,
    decode,
    encode,
    newest_first,
)

KEY = "cible:customers"

# KEYS: none (keys are derived from the prefix, so the script touches only this store's keys).
# ARGV: prefix, ttl, max per key, then 5 values per event: id, visitor, customer ('' if none), ts, body.
_ADD_EVENTS = """
local prefix, ttl, cap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local added = 0
for i = 4, #ARGV, 5 do
  local id, visitor, customer, ts, body = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4]
  if redis.call('SET', prefix .. ':eid:' .. id, 1, 'NX', 'EX', ttl) then
    added = added + 1
    local member = id .. '|' .. body
    local keys = {prefix .. ':ev:v:' .. visitor}
    if customer ~= '' then
      table.insert(keys, prefix .. ':ev:c:' .. customer)
      redis.call('SADD', prefix .. ':cv:' .. customer, visitor)
      redis.call('EXPIRE', prefix .. ':cv:' .. customer, ttl)
    end
    for _, key in ipairs(keys) do
      redis.call('ZADD', key, ts, member)
      redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1)
      redis.call('EXPIRE', key, ttl)
    end
  end
end
return added
"""

_ERASE = """
local prefix, customer = ARGV[1], ARGV[2]
local n = redis.call('HDEL', prefix, customer)
for _, visitor in ipairs(redis.call('SMEMBERS', prefix .. ':cv:' .. customer)) do
  n = n + redis.call('DEL', prefix .. ':ev:v:' .. visitor)
end
return n + redis.call('DEL', prefix .. ':ev:c:' .. customer, prefix .. ':cv:' .. customer)
"""


class RedisStore(RecordChanges):
    def __init__(self, url: str, key: str = KEY):
        import redis  # imported here: the embedded default (SQLite) must not need the Redis client

        self.key = key
        self._redis = redis.Redis.from_url(url)
        self._add_events = self._redis.register_script(_ADD_EVENTS)
        self._erase = self._redis.register_script(_ERASE)

    def put_many(self, records: Mapping[str, Record]) -> None:
        pipe = self._redis.pipeline(transaction=True)
        items = list(records.items())
        for start in range(0, len(items), 5000):
            pipe.hset(self.key, mapping={cid: encode(record) for cid, record in items[start : start + 5000]})
        pipe.execute()

    def get(self, customer_id: str) -> Record | None:
        text = self._redis.hget(self.key, customer_id)
        return decode(text) if text is not None else None

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, Record]:
        ids = list(customer_ids)
        values = self._redis.hmget(self.key, ids) if ids else []
        return {cid: decode(v) for cid, v in zip(ids, values, strict=True) if v is not None}

    def delete(self, customer_id: str) -> bool:
        """The record and every event of the person, including those of the devices they logged in from."""
        return bool(self._erase(args=[self.key, customer_id]))

    def _update(self, customer_id: str, change: Callable[[Record], Record]) -> bool:
        """An optimistic transaction, retried if a materialisation wrote the hash meanwhile."""
        import redis

        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.key)
                    text = pipe.hget(self.key, customer_id)
                    if text is None:
                        return False
                    pipe.multi()
                    pipe.hset(self.key, customer_id, encode(change(decode(text))))
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def count(self) -> int:
        return int(self._redis.hlen(self.key))

    def add_events(self, events: Sequence[StoredEvent]) -> int:
        args: list[str | float | int] = [self.key, EVENT_TTL_SECONDS, MAX_EVENTS_PER_KEY]
        for e in events:
            args += [e.event_id, e.visitor_id, e.customer_id or "", e.timestamp, encode(e.body)]
        return int(self._add_events(args=args)) if events else 0

    def recent_events(
        self, visitor_id: str | None, customer_id: str | None, limit: int = 200
    ) -> list[Record]:
        pipe = self._redis.pipeline(transaction=False)
        keys = [f"{self.key}:ev:v:{visitor_id}" if visitor_id else None]
        keys.append(f"{self.key}:ev:c:{customer_id}" if customer_id else None)
        for key in keys:
            if key:
                pipe.zrevrange(key, 0, limit - 1, withscores=True)
        rows: list[tuple[float, str, Record]] = []
        for members in pipe.execute():
            for member, ts in members:
                event_id, _, body = member.decode().partition("|")
                rows.append((float(ts), event_id, decode(body)))
        return newest_first(rows, limit)

    def close(self) -> None:
        self._redis.close()
