"""Discord's text conventions, without importing discord, so pure modules (templates, scheduling) share them.

`literal` is the one way text someone typed (a moderator's release title or description, a server's name, a
member's option) is shown in anything Discord reads as markdown (message content, embed titles, descriptions and
fields): markdown escaped, mentions and other `<…>` tags made inert, links intact, cut to a length. `quote` is the
same on one line, in quotes, for refusals and confirmations that echo input. So a 6,000-character option, markdown
or a mention in it can never make an answer too long, mis-rendered or pinging.
"""

from __future__ import annotations

import re

CONTENT_LIMIT = 2000  # characters in a message's content
QUOTE_LIMIT = 80  # characters of typed input echoed back in an answer

_ZWSP = "\u200b"
_PINGS_RE = re.compile(r"(?<=@)(?=everyone|here)|(?<=<)(?=@)", re.IGNORECASE)  # where a ZWSP goes
_MARKDOWN_RE = re.compile(r"([\\*_~`|\[\]])")  # inline markdown
# What starts a block at the start of a line: a heading or subtext (#, -#), a quote (>), a list (-, +, 1.).
_BLOCK_RE = re.compile(r"(?<=\n)([ \t]*)(?:([#>+-])|(\d+)\.)")
_TAGS_RE = re.compile(r"(?<=<)(?=[#:/]|[at]:)")
_URL_RE = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)  # a link stays whole: an escape inside would break it
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


def _escaped(text: str, *, starts_line: bool = False) -> str:
    """`text` as markdown that shows it as written: every run outside a link escaped, the links left whole, and
    what would start a block at a line's start (its first line's too when it `starts_line`)."""
    pieces = []
    start = 0
    for link in _URL_RE.finditer(text):
        pieces += [_MARKDOWN_RE.sub(r"\\\1", text[start : link.start()]), link.group(0)]
        start = link.end()
    pieces.append(_MARKDOWN_RE.sub(r"\\\1", text[start:]))
    inline = "\n" * starts_line + "".join(pieces)
    blocks = _BLOCK_RE.sub(lambda m: m[1] + (f"\\{m[2]}" if m[2] else f"{m[3]}\\."), inline)
    return neutralise(_TAGS_RE.sub(_ZWSP, blocks[starts_line:]))


def literal(text: str, limit: int | None = None, *, starts_line: bool = False) -> str:
    """Text someone typed, shown in markdown exactly as they typed it and pinging nobody: at most `limit` characters
    in all, escapes included (cut with "…", never inside an escape). `starts_line`: it is placed at the start of a
    line, where `# ` or `- ` would start a heading or a list."""
    if limit is None:
        return _escaped(text, starts_line=starts_line)
    keep = limit
    shown = _escaped(clamp(text, keep), starts_line=starts_line)
    while len(shown) > limit and keep > 1:
        keep = max(1, keep - (len(shown) - limit + 1) // 2)  # each character typed is at most two shown
        shown = _escaped(clamp(text, keep), starts_line=starts_line)
    return shown if len(shown) <= limit else "…"


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Typed input as an answer shows it: `'text'`, on one line, at most `limit` characters of it inside the quotes
    (cut with "…"), shown as typed (`literal`)."""
    flat = _SPACES_RE.sub(" ", text)
    return "'" + _escaped(clamp(flat, limit)) + "'"
