"""Fault injection for REST calls: rate limits, server errors, commit-then-fail, delays and 4xx answers.

``commit_then_502`` carries the request out (a message is created) and then answers 502, as when Discord's
answer is lost on its way back; with ``status`` it answers that instead, e.g. the 503 ("upstream connect error
or disconnect/reset before headers") Discord's proxy sends under load (reported in CSSS/wall_e#664), which
discord.py does not retry: it raises `DiscordServerError` at once, so only the bot's own retry can follow.

Faults are matched in the order added against the request method and the path relative to ``/api/v10``. A path
pattern may be a template with ``{placeholders}`` (``/channels/{id}/messages``), a plain prefix, or a compiled regex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["429", "5xx", "commit_then_502", "delay", "403", "404"]
KINDS: frozenset[str] = frozenset({"429", "5xx", "commit_then_502", "delay", "403", "404"})


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


@dataclass
class Fault:
    """One injected fault; ``times`` counts down to zero (None = forever)."""

    kind: FaultKind
    method: str | None
    path: str | re.Pattern[str] | None
    retry_after: float = 0.2
    global_: bool = False
    status: int | None = None
    seconds: float = 0.0
    times: int | None = 1
    code: int | None = None
    """Discord error code for 403/404 answers (default 50013 / 10003-style per route)."""
    message: str | None = None
    scope: str | None = None
    """``X-RateLimit-Scope`` of a 429: ``user`` (default), ``global`` (default when ``global_``) or ``shared``."""
    hits: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.path, re.Pattern):
            self._regex = self.path
        elif isinstance(self.path, str) and "{" in self.path:
            self._regex = _template_regex(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        if self._regex is not None:
            return bool(self._regex.search(path))
        assert isinstance(self.path, str)
        return path.startswith(self.path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def http_status(self) -> int:
        defaults = {"429": 429, "5xx": 500, "commit_then_502": 502, "403": 403, "404": 404}
        return self.status if self.status is not None else defaults.get(self.kind, 200)


class FaultInjector:
    """The queue of active faults; ``FakeDiscord.faults`` is one of these."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        kind: FaultKind = "429",
        *,
        retry_after: float = 0.2,
        global_: bool = False,
        status: int | None = None,
        seconds: float = 0.0,
        count: int | None = 1,
        code: int | None = None,
        message: str | None = None,
        scope: str | None = None,
    ) -> Fault:
        """Inject ``kind`` on the next ``count`` matching requests (None = every one); paths are relative to /api/v10.

        ``path`` may be a template (``/channels/{channel_id}/messages``), a prefix or a regex.
        ``retry_after``/``global_``/``scope`` shape a 429, ``status`` picks the 5xx code (default 500; 502 for
        ``commit_then_502``),
        ``seconds`` is the ``delay`` length, ``code``/``message`` override the JSON error of a 403/404.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        fault = Fault(
            kind,
            method,
            path,
            retry_after=retry_after,
            global_=global_,
            status=status,
            seconds=seconds,
            times=count,
            code=code,
            message=message,
            scope=scope,
        )
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the first fault matching this request, if any."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        return [f for f in self._faults if not f.exhausted]
