"""Standings as a picture: a PNG horizontal bar chart that `/poll results`, the poll's close summary and a listening
party's recap attach.

Free of Discord (the caller wraps the bytes in a `discord.File`) and of the event loop: `draw_standings` is
plain CPU work, about 10 ms for 34 tracks (`python -m benchmarks` measures it), which callers run in a thread
(`asyncio.to_thread`).

The look, and why:

- **One opaque card of its own**, off-white (`#FAFAFB`) with a thin grey border (`#D0D4DA`) and near-black
  text (`#1F2328`, contrast 15:1; the secondary grey, `#5D6064`, 6:1: both above WCAG's 4.5:1 for text).
  A transparent image would show the theme's own background through, and no one text colour reads well on
  both Discord's dark (`#313338`) and light (`#FFFFFF`) chat; an opaque card reads the same on both. On the
  dark theme the card stands out as a picture does; on the light theme the border keeps its edge visible.
  Light rather than dark, because dark text on a light ground is the more legible polarity for small type,
  and a shared screenshot looks the same whatever the theme of whoever sees it.
- **Sized for a phone held upright**: 800 px wide, text 24 px or more, so when a phone fits the image to
  its ~400-point-wide screen the titles read at about 13 points and the smallest text at 12.
- **Two lines per track**: the place and the full-width title first (titles are long; they are cut with
  "…" by measured width, never by counting characters), then the bar, scaled to the leader, with the votes
  (and points in top-3 mode) in a right-aligned column. Bars are navy, the leader's hockey red (the bot's
  colour); both contrast at least 3:1 with the card (WCAG's figure for graphics), and the place number
  says the same thing without colour.
- **Up to 15 tracks** (`MAX_ROWS`), then a line saying how many more have fewer points; the image's height
  depends only on how many rows it shows (`chart_size`).

Fonts: DejaVu Sans (regular and bold), shipped in `fonts/` with its licence, so French accents, curly quotes
and most scripts print the same on every host. Glyphs it lacks (emoji) print as a box, never an error.

Words: everything the chart writes goes through the bot's catalogues (`bot.i18n`), in the language current
where it is drawn; they are all in the first section below. The caller gives the title.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont

from bot.i18n import _, current, ngettext
from bot.markup import clamp


class Entry(Protocol):
    """One track's line: its place (shared when `tied`), its title, and its score."""

    @property
    def place(self) -> int: ...
    @property
    def tied(self) -> bool: ...
    @property
    def title(self) -> str: ...
    @property
    def votes(self) -> int: ...
    @property
    def points(self) -> int: ...


class Standings(Protocol):
    """What is charted, best first (the poll's standings, a party's hearts)."""

    @property
    def voters(self) -> int: ...
    @property
    def entries(self) -> Sequence[Entry]: ...
    @property
    def scored(self) -> bool:
        """Whether points differ from votes (a top-3 poll), so bars are labelled with both."""
        ...

    @property
    def how(self) -> str:
        """How members count, in the current language ("one favourite per member")."""
        ...


# -- the words the chart writes, in the current language (`bot.i18n`) --------------------------------------


def votes(n: int) -> str:
    return ngettext("{n} vote", "{n} votes", n)


def points(n: int) -> str:
    return ngettext("{n} point", "{n} points", n)


def place_label(place: int, tied: bool) -> str:
    return _("#{place} (tie)", place=place) if tied else _("#{place}", place=place)


def more_label(n: int) -> str:
    """The line under the 15th track."""
    return ngettext("…and {n} more with fewer points", "…and {n} more with fewer points", n)


def subtitle(standings: Standings) -> str:
    voters = ngettext("{n} voter", "{n} voters", standings.voters)
    return _("{voters} · {mode}", voters=voters, mode=standings.how)


def numbers(entry: Entry, scored: bool) -> str:
    """What a bar is labelled with: its votes, and its points too when they differ from votes (top-3 mode)."""
    if not scored:
        return votes(entry.votes)
    return _("{points} · {votes}", points=points(entry.points), votes=votes(entry.votes))


def describe(standings: Standings, shown: int) -> str:
    """The attachment's description (alt text): what the chart shows and who leads. The text standings in the
    same message carry the rest."""
    total = len(standings.entries)
    if shown < total:
        what = _("Bar chart of the top {shown} of {total} tracks with votes.", shown=shown, total=total)
    elif total == 1:
        what = _("Bar chart of the only track with votes.")
    else:
        what = ngettext("Bar chart of the {n} track with votes.", "Bar chart of the {n} tracks with votes.", total)
    top = max(entry.points for entry in standings.entries)
    score = points(top) if standings.scored else votes(top)
    leaders = [
        _("“{title}”", title=clamp(plain(entry.title), DESCRIBED_TITLE))
        for entry in standings.entries
        if entry.points == top
    ]
    if len(leaders) == 1:
        lead = _("Leading: {leader}, {score}.", leader=leaders[0], score=score)
    else:
        if len(leaders) > DESCRIBED_LEADERS:
            others = len(leaders) - DESCRIBED_LEADERS
            leaders = [*leaders[:DESCRIBED_LEADERS], ngettext("{n} more", "{n} more", others)]
        lead = _("Tied for the lead: {leaders}, {score} each.", leaders=current().join(leaders), score=score)
    return clamp(f"{what} {lead}", DESCRIPTION_LIMIT)


# -- the look ---------------------------------------------------------------------------------------------

MAX_ROWS = 15
WIDTH = 800
MARGIN = 32
HEADER = 124  # title and subtitle
ROW = 70  # a track: its title line, then its bar
FOOTER = 44  # "…and N more with fewer points", when there are more
BOTTOM = 16
TITLE_Y, SUBTITLE_Y = 26, 68
BAR_Y, BAR_HEIGHT = 34, 22  # the bar's top, from the row's top
GAP = 16  # between the bar's track and the numbers column
MIN_BAR = 6  # any score above zero shows
TITLE_CHARS = 200  # longer titles are cut before measuring (none fits the width anyway)
DESCRIPTION_LIMIT = 1024  # Discord's limit for an attachment's description
DESCRIBED_TITLE = 100  # characters of a leader's title in the description
DESCRIBED_LEADERS = 3  # leaders named when several tie, then how many more

BACKGROUND = (250, 250, 251)
TEXT = (31, 35, 40)
SECONDARY_SHARE = 0.72  # secondary text: TEXT at 72% over the card, a neutral grey (#5D6064, 6:1 on it)
BORDER = (208, 212, 218)
TRACK = (232, 234, 237)
BAR = (29, 63, 114)
LEADER = (200, 16, 46)

# The image is drawn as palette indices and saved as a palette PNG, which needs no per-row filtering and so
# encodes several times faster than RGB (and is less than half the size). Text is anti-aliased over the card
# only, so its edges are blends of the card and the text colour: indices 0..INK are that ramp, and secondary
# text is drawn with a lower index on the same ramp. The flat colours take the indices after it.
INK = 127
TRACK_I, BAR_I, LEADER_I, BORDER_I = 200, 201, 202, 203


def _palette() -> list[int]:
    ramp = [
        round(bg + (fg - bg) * step / INK) for step in range(INK + 1) for bg, fg in zip(BACKGROUND, TEXT, strict=True)
    ]
    flat = [*TRACK, *BAR, *LEADER, *BORDER]
    filler = list(TEXT) * (TRACK_I - INK - 1)  # only ever reached by glyphs drawn over a bar: pathological
    palette = ramp + filler + flat
    return palette + list(TEXT) * (256 - len(palette) // 3)


PALETTE = _palette()
SECONDARY = round(INK * SECONDARY_SHARE)  # the secondary text's index

FONTS = Path(__file__).with_name("fonts")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
# FreeType faces are not safe to share between threads; charts are rare, so they simply take turns.
_DRAWING = threading.Lock()


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    width: int
    height: int
    description: str  # for Discord's attachment `description` (alt text), at most 1,024 characters


def chart_size(rows: int, *, more: bool) -> tuple[int, int]:
    """The image's (width, height) for `rows` tracks shown, with or without the "…and N more" line."""
    return WIDTH, HEADER + rows * ROW + (FOOTER if more else 0) + BOTTOM


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    # The basic layout: no shaping library needed, the same result on every host, and faster.
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


def plain(text: str) -> str:
    """One line of printable text: control characters and line breaks become spaces, runs of spaces one."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c for c in text)
    return " ".join(kept.split())


@lru_cache(maxsize=4096)
def advance(face: ImageFont.FreeTypeFont, char: str) -> float:
    return face.getlength(char)


def fit(text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """`text` as drawn in `face` within `width` pixels: whole, or cut with "…" where the measure says."""
    text = plain(text)
    if len(text) <= TITLE_CHARS and face.getlength(text) <= width:
        return text
    text = text[:TITLE_CHARS]
    # Where to cut, from each character's advance (cached), then checked against the real measure, which
    # kerning can make a little wider: two or three measures instead of a search's eight.
    budget, used, end = width - face.getlength("…"), 0.0, len(text)
    for index, char in enumerate(text):
        used += advance(face, char)
        if used > budget:
            end = index
            break
    while end > 0 and face.getlength(text[:end].rstrip() + "…") > width:
        end -= 1
    return text[:end].rstrip() + "…"


def draw_standings(standings: Standings, *, title: str) -> Chart | None:
    """The chart of the top `MAX_ROWS` tracks, or None when nobody has voted (there is nothing to draw).

    Its words are in the current language (`bot.i18n.current()`), which `asyncio.to_thread` carries into the
    thread it runs in.
    """
    if not standings.entries:
        return None
    rows = standings.entries[:MAX_ROWS]
    hidden = len(standings.entries) - len(rows)
    width, height = chart_size(len(rows), more=hidden > 0)
    with _DRAWING:
        png = _draw(standings, rows, hidden, (width, height), title)
    return Chart(png, width, height, describe(standings, len(rows)))


def _draw(standings: Standings, rows: Sequence[Entry], hidden: int, size: tuple[int, int], title: str) -> bytes:
    width, height = size
    heading, regular, bold = font(BOLD, 30), font(REGULAR, 24), font(BOLD, 26)
    inner = width - 2 * MARGIN
    image = Image.new("L", size, 0)  # palette indices; 0 is the card
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline=BORDER_I, width=2)
    draw.text((MARGIN, TITLE_Y), fit(title, heading, inner), font=heading, fill=INK)
    draw.text((MARGIN, SUBTITLE_Y), fit(subtitle(standings), regular, inner), font=regular, fill=SECONDARY)

    labels = [numbers(entry, standings.scored) for entry in rows]
    column = min(max(regular.getlength(label) for label in labels), inner / 2)
    track = inner - column - GAP
    top = max(max(entry.points for entry in standings.entries), 1)
    for index, (entry, label) in enumerate(zip(rows, labels, strict=True)):
        y = HEADER + index * ROW
        place = place_label(entry.place, entry.tied) + "  "
        draw.text((MARGIN, y), place, font=bold, fill=SECONDARY)
        indent = bold.getlength(place)
        draw.text((MARGIN + indent, y), fit(entry.title, bold, inner - indent), font=bold, fill=INK)
        bar_top = y + BAR_Y
        draw.rectangle((MARGIN, bar_top, MARGIN + track, bar_top + BAR_HEIGHT), fill=TRACK_I)
        if entry.points > 0:
            length = max(MIN_BAR, round(track * min(entry.points, top) / top))
            colour = LEADER_I if entry.points >= top else BAR_I
            draw.rectangle((MARGIN, bar_top, MARGIN + length, bar_top + BAR_HEIGHT), fill=colour)
        shown = fit(label, regular, column)
        draw.text((width - MARGIN, bar_top + BAR_HEIGHT / 2), shown, font=regular, fill=INK, anchor="rm")
    if hidden:
        y = HEADER + len(rows) * ROW + 4
        draw.text((MARGIN, y), fit(more_label(hidden), regular, inner), font=regular, fill=SECONDARY)

    image.putpalette(PALETTE)  # the indices become colours: a palette ("P") image
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
