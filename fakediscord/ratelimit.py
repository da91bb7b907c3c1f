"""Discord's global REST rate limit, as a sliding one-second window.

Discord's developer docs (Topics › Rate Limits › Global Rate Limit): a bot may make up to 50 requests per second
across the whole API, independent of per-route limits; over it Discord answers 429 with ``"global": true``, the
``X-RateLimit-Global: true`` and ``X-RateLimit-Scope: global`` headers, ``retry_after`` (float seconds) in the body
and ``Retry-After`` (whole seconds) as a header. Interaction endpoints (the callback and the interaction webhook:
``@original``, followups) "are not bound to the bot's Global Rate Limit".

The emulator counts the requests it admitted in the last ``window`` seconds; a request that would be one too many
is refused and does not count, and its ``retry_after`` is the time until the oldest admitted request leaves the
window, so a client that waits exactly that long gets through.
"""

from __future__ import annotations

import math
from collections import deque


class GlobalRateLimit:
    """At most ``rate`` admitted requests in any ``window``-second span (a sliding window)."""

    def __init__(self, rate: int, window: float = 1.0) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1 request per window")
        if window <= 0:
            raise ValueError("window must be positive")
        self.rate = rate
        self.window = window
        self._admitted: deque[float] = deque()

    def hit(self, now: float) -> float | None:
        """Admit a request at ``now`` (None), or refuse it: the seconds to wait, rounded up to the millisecond."""
        admitted = self._admitted
        while admitted and admitted[0] <= now - self.window:
            admitted.popleft()
        if len(admitted) < self.rate:
            admitted.append(now)
            return None
        wait = admitted[0] + self.window - now
        return max(0.001, math.ceil(round(wait * 1000, 6)) / 1000)  # round: float noise must not add 1 ms

    @property
    def in_window(self) -> int:
        """Requests admitted in the current window (as of the last ``hit``)."""
        return len(self._admitted)
