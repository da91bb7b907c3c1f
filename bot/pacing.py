"""One global pacer for everything the bot sends over REST, below Discord's global rate limit.

Discord (Topics › Rate Limits › Global Rate Limit): a bot may make at most 50 requests per second across the
whole API; over it, every request is answered 429 until the window passes. discord.py waits out a 429 it
meets, but it never paces ahead of one, so a storm of posts keeps hitting the limit. `install` wraps the one
door every REST call of the bot's client goes through, `HTTPClient.request`, with an `aiolimiter.AsyncLimiter`:

- requests leave evenly spaced at `PACE_SHARE` of the configured rate (`DISCORD_GLOBAL_RATE`, default 50 per
  second), so a sliding one-second window never holds more than the limit even with some network jitter; several
  processes sharing the token take these turns in one bucket in PostgreSQL instead (`bot.leases.SharedRate`);
- interaction responses and follow-ups are not paced, as Discord does not count them ("Interaction endpoints
  are not bound to the bot's Global Rate Limit", Topics › Rate Limits): discord.py sends them through its
  webhook adapter, never through `HTTPClient.request`, so a member's answer never waits behind a storm;
- once a request is done, discord.py's rate-limit record of its route is dropped when nothing waits on it and
  it does not hold the route back (requests left, or its window passed). discord.py scans every record each
  time it meets a route it has no record of once it holds 256 (`HTTPClient._try_clear_expired_ratelimits`),
  which costs the square of the channels in a storm; a dropped record is rebuilt from the next response's
  headers, and a new record lets one request through at a time until then, so no limit is overrun.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Protocol

from aiolimiter import AsyncLimiter
from discord.http import HTTPClient, Route

log = logging.getLogger(__name__)

DISCORD_GLOBAL_RATE = 50  # requests per second (Discord's documented global limit)
PACE_SHARE = 0.97  # the share of the limit the pacer uses: the margin (1.5 requests a second) absorbs jitter


class Pace(Protocol):
    """What the pacer waits on before each request: a limiter here, or a bucket shared by several processes
    (`bot.leases.SharedRate`)."""

    async def acquire(self) -> None: ...


def spacing_us(rate: float) -> int:
    """Microseconds between two requests at `PACE_SHARE` of `rate` requests per second."""
    return max(1, round(1_000_000 / (rate * PACE_SHARE)))


def limiter(rate: float) -> AsyncLimiter:
    """One request every 1 / (rate × PACE_SHARE) seconds, with no burst (`rate` in requests per second > 0)."""
    if rate <= 0:
        raise ValueError("the global rate must be positive")
    return AsyncLimiter(1, 1 / (rate * PACE_SHARE))


def install(http: HTTPClient, rate: float = DISCORD_GLOBAL_RATE, shared: Pace | None = None) -> Pace:
    """Pace every request `http` makes (on `shared` when the processes share the rate), and keep its rate-limit
    records few; returns what it paces on."""
    pacer: Pace = shared or limiter(rate)
    send = http.request

    @functools.wraps(send)
    async def request(route: Route, **kwargs: Any) -> Any:
        await pacer.acquire()
        try:
            return await send(route, **kwargs)
        finally:
            _forget_idle_record(http, route)

    http.request = request  # type: ignore[method-assign]
    return pacer


def _forget_idle_record(http: HTTPClient, route: Route) -> None:
    """Drop discord.py's record of `route`'s bucket when nothing waits on it and it holds nothing back."""
    buckets: dict[str, Any] = getattr(http, "_buckets", {})
    bucket_hash = getattr(http, "_bucket_hashes", {}).get(route.key)
    for key in {f"{route.key}:{route.major_parameters}", f"{bucket_hash}:{route.major_parameters}"}:
        record = buckets.get(key)
        if record is None:
            continue
        idle = record.outgoing == 0 and not getattr(record, "_pending_requests", True)
        if idle and (record.remaining > 0 or record.is_expired()):
            del buckets[key]
