"""Discord's text conventions, without importing discord, so pure modules (templates, scheduling) share them.

`quote` is the one way any text a member typed is shown back to them: every refusal and confirmation that
echoes input goes through it, so a 6,000-character option, markdown or a mention in it can never make an
answer too long, mis-rendered or pinging.
"""

from __future__ import annotations

import re

CONTENT_LIMIT = 2000  # characters in a message's content
QUOTE_LIMIT = 80  # characters of typed input echoed back in an answer

_ZWSP = "\u200b"
_PINGS_RE = re.compile(r"(?<=@)(?=everyone|here)|(?<=<)(?=@)", re.IGNORECASE)  # where a ZWSP goes
_MARKDOWN_RE = re.compile(r"([\\*_~`|\[\]])")  # inline markdown: a quote never starts a line
_SPACES_RE = re.compile(r"\s+")


def discord_timestamp(epoch: int, style: str = "F") -> str:
    """A time every reader sees in their own zone: `F` full date and time, `R` relative ("in 3 days")."""
    return f"<t:{epoch}:{style}>"


def clamp(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def neutralise(text: str) -> str:
    """`@everyone`, `@here` and `<@…>` mentions made inert with a zero-width space: they read the same, but
    neither notify nor render as a mention."""
    return _PINGS_RE.sub(_ZWSP, text)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Typed input as an answer shows it: `'text'`, on one line, at most `limit` characters inside the quotes
    (cut with "…"), with markdown escaped and mentions made inert."""
    flat = _SPACES_RE.sub(" ", text)
    return "'" + neutralise(_MARKDOWN_RE.sub(r"\\\1", clamp(flat, limit))) + "'"
