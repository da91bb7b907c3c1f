"""Discord's text conventions, without importing discord, so pure modules (templates, scheduling) share them."""

from __future__ import annotations

CONTENT_LIMIT = 2000  # characters in a message's content


def discord_timestamp(epoch: int, style: str = "F") -> str:
    """A time every reader sees in their own zone: `F` full date and time, `R` relative ("in 3 days")."""
    return f"<t:{epoch}:{style}>"


def clamp(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
