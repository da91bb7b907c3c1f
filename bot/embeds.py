"""Embeds that cannot exceed Discord's limits, whatever the catalogue or a moderator puts in them.

`Card` collects a title, description, fields and footer, and `build()` clamps each part to its limit and
the whole to the 6,000-character total, trimming the longest fields first, so no answer is ever refused
by Discord with "Invalid Form Body".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import discord

from bot.catalogue import Confidence, Fact, Source
from bot.i18n import N_, _, current, ngettext, pgettext
from bot.markup import clamp

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
TOTAL_LIMIT = 6000

COLOUR = discord.Colour(0xC8102E)  # hockey red


def spoiler(text: str) -> str:
    """Scene descriptions hide behind spoiler bars; a stray `||` inside would end the spoiler early."""
    return f"||{text.replace('||', '| |')}||"


def join_within(parts: Sequence[str], limit: int, separator: str = " · ") -> str:
    """Join as many parts as fit within `limit`, then say how many were left out."""
    whole = separator.join(parts)
    if len(whole) <= limit:  # the usual case: no count to write (each one is a plural form and a number)
        return whole
    out: list[str] = []
    used = 0
    for index, part in enumerate(parts):
        rest = len(parts) - index - 1
        suffix = separator + ngettext("+{n} more", "+{n} more", rest) if rest else ""
        cost = len(part) + (len(separator) if out else 0)
        if used + cost + len(suffix) > limit:
            out.append(ngettext("+{n} more", "+{n} more", len(parts) - index))
            break
        out.append(part)
        used += cost
    return separator.join(out)


SOURCES_ON_A_CARD = 4  # the rest are one click away (the Sources button), not a wall of links
# Translators: the kinds of page a source can be, shown after its publisher: "Vulture (mirror)".
SOURCE_LABELS = {
    "mirror": N_("mirror"),
    "AI press summary": N_("AI press summary"),
    "fan blog": N_("fan blog"),
    "recap": N_("recap"),
}


def source_name(source: Source) -> str:
    """A source as a link shows it: its publisher, and what kind of page it is when it is not the publisher's own
    ("Vulture (mirror)": the link does not lead to Vulture), in the reader's language; the publisher as written."""
    label = source.label
    if label is None:
        return source.publisher
    words = _(SOURCE_LABELS[label]) if label in SOURCE_LABELS else label  # an operator's own label as written
    return _("{publisher} ({label})", publisher=source.publisher, label=words)


def source_links(sources: Iterable[Source], shown: int = SOURCES_ON_A_CARD) -> str:
    """A card's sources: one link per publisher (its own page before a mirror or a summary of it), at most `shown`,
    then how many more; each named as `source_name` names it, so a link to a mirror says so."""
    by_publisher: dict[str, Source] = {}
    for source in sources:
        known = by_publisher.get(source.publisher)
        if known is None or (known.label is not None and source.label is None):
            by_publisher[source.publisher] = source
    if not by_publisher:
        return pgettext("sources", "none")
    links = [f"[{source_name(source)}]({source.url})" for source in by_publisher.values()]
    more = len(links) - shown
    if more <= 0:
        return " · ".join(links)
    more_text = ngettext("and {n} more: **Sources** lists them all", "and {n} more: **Sources** lists them all", more)
    return " · ".join(links[:shown]) + " · " + more_text


def source_list(sources: Iterable[Source], limit: int = DESCRIPTION_LIMIT) -> str:
    """Every page behind a card, once each, named as `source_name` names it (mirror, AI press summary, fan blog)."""
    unique = list(dict.fromkeys(sources))
    return (
        join_within([f"• [{source_name(s)}]({s.url})" for s in unique], limit, "\n")
        if unique
        else pgettext("sources", "none")
    )


def confidence_note(confidence: Confidence) -> str:
    return {
        Confidence.MULTI: _("confirmed by several sources"),
        Confidence.SINGLE: _("from one source"),
        Confidence.INFERRED: _("inferred from sources"),
        Confidence.UNKNOWN: pgettext("confidence", "unknown"),
    }[confidence]


def format_date(day: dt.date) -> str:
    """A calendar date has no instant (it starts at a different moment in each zone), so it is shown as text,
    the current language's way ('Fri 11 December 2026', 'ven. 11 décembre 2026')."""
    return current().date(day)


def format_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fact_line(fact: Fact[str] | Fact[int] | Fact[dt.date], render: str | None = None, *, unknown: str) -> str:
    """'Milan Records (confirmed by several sources)' or `unknown`: the word as it agrees with what the fact is
    (`pgettext("duration", "unknown")`: a duration is feminine in French, "inconnue")."""
    if not fact.known:
        return unknown + (f" ({fact.note})" if fact.note else "")
    text = render if render is not None else str(fact.value)
    return f"{text} ({confidence_note(fact.confidence)})"


@dataclass
class Card:
    title: str
    description: str = ""
    url: str | None = None
    footer: str | None = None
    fields: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, name: str, value: str, *, inline: bool = False) -> Card:
        if len(self.fields) < FIELD_COUNT_LIMIT and value.strip():
            self.fields.append((clamp(name, FIELD_NAME_LIMIT), clamp(value, FIELD_VALUE_LIMIT), inline))
        return self

    def build(self) -> discord.Embed:
        title = clamp(self.title, TITLE_LIMIT)
        description = clamp(self.description, DESCRIPTION_LIMIT)
        footer = clamp(self.footer, FOOTER_LIMIT) if self.footer else None
        fields = list(self.fields)
        fixed = len(title) + len(footer or "")

        def total() -> int:
            return fixed + len(description) + sum(len(n) + len(v) for n, v, _inline in fields)

        while total() > TOTAL_LIMIT:
            over = total() - TOTAL_LIMIT
            longest = max(range(len(fields)), key=lambda i: len(fields[i][1]), default=None)
            if longest is not None and len(fields[longest][1]) > 64:
                name, value, inline = fields[longest]
                fields[longest] = (name, clamp(value, max(64, len(value) - over)), inline)
            elif len(description) > 64:
                description = clamp(description, max(64, len(description) - over))
            else:
                fields.pop()
        embed = discord.Embed(title=title, description=description or None, url=self.url, colour=COLOUR)
        for name, value, inline in fields:
            embed.add_field(name=name, value=value, inline=inline)
        if footer:
            embed.set_footer(text=footer)
        return embed
