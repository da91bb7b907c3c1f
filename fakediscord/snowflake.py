"""Snowflake ids and the emulator clock.

Discord derives ``created_at`` and the 15-minute interaction token lifetime from the id itself, so ids must carry
real timestamps. The clock is real UTC time plus an offset tests can advance, which lets token expiry be tested
without sleeping.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

DISCORD_EPOCH_MS = 1_420_070_400_000


class Clock:
    """Real time plus a test-controlled offset."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's notion of "now" forward (tokens and nonce windows expire accordingly)."""
        self._offset += timedelta(seconds=seconds)

    def iso_now(self) -> str:
        return self.now().isoformat()


class SnowflakeFactory:
    """Generates unique, time-ordered snowflakes from the emulator clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0

    def next_int(self) -> int:
        ms = int(self._clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        with self._lock:
            value = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            # Keep ids strictly increasing even if two fall in the same millisecond and the counter wraps.
            value = max(value, self._last + 1)
            self._last = value
        return value

    def next(self) -> str:
        return str(self.next_int())


def snowflake_time(snowflake: str | int) -> datetime:
    """The UTC creation time encoded in a snowflake."""
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
