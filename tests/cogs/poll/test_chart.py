"""The standings chart without Discord: a valid PNG of a known size, the top 15, titles cut by measure, alt text."""

from __future__ import annotations

import asyncio
import io
import tomllib
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from bot.catalogue import Catalogue
from bot.chart import (
    BACKGROUND,
    BAR,
    BAR_HEIGHT,
    BAR_Y,
    BOLD,
    BORDER,
    DESCRIPTION_LIMIT,
    FONTS,
    HEADER,
    LEADER,
    MARGIN,
    MAX_ROWS,
    PALETTE,
    REGULAR,
    ROW,
    SECONDARY,
    TEXT,
    WIDTH,
    chart_size,
    draw_standings,
    fit,
    font,
)
from cogs.poll.rules import BallotMode, Entry, Standings, Tally, compute_standings

TITLE = "Favourite track · round 1 · live standings"
FRENCH = "Rivalité passionnée — « Là où l’on s’en va » (thème d’Ilya, version intégrale)"
QUOTED = "“It’s You” – the café’s œuvre"


def standings(scores: Sequence[tuple[str, int]], mode: BallotMode = BallotMode.SINGLE) -> Standings:
    """Standings with these (title, points) in order; votes equal points in single mode, half of them in top 3."""
    entries = []
    for index, (title, points) in enumerate(scores):
        tied = any(p == points for i, (_, p) in enumerate(scores) if i != index)
        place = next(i for i, (_, p) in enumerate(scores) if p == points) + 1
        votes = points if mode is BallotMode.SINGLE else max(1, points // 2)
        entries.append(Entry(place, tied, f"t{index}", title, index + 1, True, votes, points))
    voters = sum(e.votes for e in entries) if mode is BallotMode.SINGLE else max((e.votes for e in entries), default=0)
    return Standings(mode, voters, tuple(entries))


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every row: a truncated or corrupt file raises here
    return image


def colour_at(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    pixel = image.convert("RGB").getpixel((x, y))
    assert isinstance(pixel, tuple)
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


# -- the image -----------------------------------------------------------------------------------------------


def test_a_valid_png_of_the_expected_size_with_the_leader_in_red(catalogue: Catalogue) -> None:
    tallies = [Tally("rivalry", 1, 5, "Rivalry"), Tally("melt", 1, 3, "Melt"), Tally("two-souls", 1, 1, "Two Souls")]
    chart = draw_standings(compute_standings(BallotMode.SINGLE, tallies, catalogue), title=TITLE)
    assert chart is not None
    image = opened(chart.png)
    assert image.format == "PNG" and image.mode == "P"
    assert image.size == (chart.width, chart.height) == chart_size(3, more=False) == (WIDTH, HEADER + 3 * ROW + 16)
    # The look: an opaque card with its border; the leader's bar is red and full, the others navy and shorter.
    assert colour_at(image, 0, 0) == BORDER and colour_at(image, WIDTH // 2, 8) == BACKGROUND
    middle = BAR_Y + BAR_HEIGHT // 2
    assert colour_at(image, MARGIN + 2, HEADER + middle) == LEADER
    assert colour_at(image, MARGIN + 2, HEADER + ROW + middle) == BAR
    assert colour_at(image, MARGIN + 300, HEADER + 2 * ROW + middle) != BAR, "1 vote of 5 is a short bar"
    assert chart.description == "Bar chart of the 3 tracks with votes. Leading: “Rivalry”, 5 votes."


def test_at_most_15_tracks_then_how_many_more() -> None:
    many = standings([(f"Test cue {n}", 100 - n) for n in range(34)])
    chart = draw_standings(many, title=TITLE)
    assert chart is not None
    assert (chart.width, chart.height) == chart_size(MAX_ROWS, more=True) == opened(chart.png).size
    assert chart_size(MAX_ROWS, more=True)[1] > chart_size(MAX_ROWS, more=False)[1]
    assert chart.description.startswith("Bar chart of the top 15 of 34 tracks with votes. Leading: “Test cue 0”")
    exactly = draw_standings(standings([(f"Test cue {n}", 100 - n) for n in range(15)]), title=TITLE)
    assert exactly is not None and (exactly.width, exactly.height) == chart_size(15, more=False)


def test_nothing_to_draw_without_votes() -> None:
    assert draw_standings(Standings(BallotMode.SINGLE, 0, ()), title=TITLE) is None


def test_top3_description_gives_points_and_ties_name_every_leader() -> None:
    top3 = draw_standings(standings([("Rivalry", 42), ("Melt", 30)], BallotMode.TOP3), title=TITLE)
    assert top3 is not None and top3.description.endswith("Leading: “Rivalry”, 42 points.")
    tied = draw_standings(standings([("Melt", 2), ("Rivalry", 2), ("Two Souls", 1)]), title=TITLE)
    assert tied is not None
    assert tied.description.endswith("Tied for the lead: “Melt” and “Rivalry”, 2 votes each.")
    crowd = draw_standings(standings([(f"Cue {n}", 1) for n in range(5)]), title=TITLE)
    assert crowd is not None
    assert crowd.description.endswith("Tied for the lead: “Cue 0”, “Cue 1”, “Cue 2”, and 2 more, 1 vote each.")


def test_long_and_accented_titles_are_cut_by_measured_width_and_described_within_discords_limit() -> None:
    bold = font(BOLD, 26)
    assert fit(FRENCH[:19], bold, 400) == "Rivalité passionnée", "a title that fits is left whole"
    cut = fit(FRENCH, bold, 400)
    assert cut.endswith("…") and FRENCH.startswith(cut[:-1]) and bold.getlength(cut) <= 400
    narrow, wide = fit("i" * 150, bold, 400), fit("W" * 150, bold, 400)
    assert len(narrow) > 2 * len(wide), "cut by width, not by a character count"
    assert fit("line\nbreak\x00 and\ttabs", bold, 700) == "line break and tabs"

    huge = "Rivalité " * 400
    chart = draw_standings(standings([(huge, 9), (FRENCH, 5), (QUOTED, 4)]), title=huge)
    assert chart is not None and opened(chart.png).size == chart_size(3, more=False)
    assert len(chart.description) <= DESCRIPTION_LIMIT and "“Rivalité Rivalité" in chart.description


def test_the_shipped_font_has_every_french_letter_and_typographic_quote() -> None:
    def drawn(char: str, face: ImageFont.FreeTypeFont) -> bytes:
        image = Image.new("L", (40, 40))
        ImageDraw.Draw(image).text((4, 4), char, font=face, fill=255)
        return image.tobytes()

    for name in (REGULAR, BOLD):
        face = font(name, 26)
        missing = drawn("\ue000", face)  # a private-use code point: the font's "missing glyph" box
        for char in "éèêëàâçîïôûùüÿœæÉÈÀÇÔŒ’‘“”«»—–…·":
            assert drawn(char, face) != missing, f"{name} lacks {char!r}"
    fonts = files("bot") / "fonts"
    assert (fonts / "LICENSE").read_text("utf-8").startswith("Fonts are (c) Bitstream")
    # A non-editable install (the Docker image) has them too: they are package data of bot/.
    config = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {path.name for pattern in patterns for path in FONTS.parent.glob(pattern)}
    assert {REGULAR, BOLD, "LICENSE"} <= shipped


def relative_luminance(colour: Sequence[int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Sequence[int], b: Sequence[int]) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_contrast_on_the_card() -> None:
    secondary = PALETTE[3 * SECONDARY : 3 * SECONDARY + 3]
    assert contrast(TEXT, BACKGROUND) >= 7 and contrast(secondary, BACKGROUND) >= 4.5, "text: WCAG AA"
    assert contrast(BAR, BACKGROUND) >= 3 and contrast(LEADER, BACKGROUND) >= 3, "graphics: WCAG 1.4.11"
    assert contrast(BORDER, (255, 255, 255)) > 1.4, "the card's edge shows on the light theme's white"


async def test_charts_drawn_in_threads_at_once_are_identical() -> None:
    board = standings([(FRENCH, 7), (QUOTED, 3), ("Melt", 1)], BallotMode.TOP3)
    charts = await asyncio.gather(*(asyncio.to_thread(draw_standings, board, title=TITLE) for _ in range(4)))
    assert len({chart.png for chart in charts if chart is not None}) == 1


# -- any titles, any counts ----------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(st.tuples(st.text(max_size=300), st.integers(min_value=0, max_value=10**12)), max_size=40),
    mode=st.sampled_from(BallotMode),
    title=st.text(max_size=300),
)
def test_any_titles_and_counts_draw_a_png_of_the_announced_size(
    rows: list[tuple[str, int]], mode: BallotMode, title: str
) -> None:
    ordered = sorted(rows, key=lambda row: -row[1])
    chart = draw_standings(standings(ordered, mode), title=title)
    if not rows:
        assert chart is None
        return
    assert chart is not None
    shown = min(len(rows), MAX_ROWS)
    assert opened(chart.png).size == (chart.width, chart.height) == chart_size(shown, more=len(rows) > shown)
    assert 0 < len(chart.description) <= DESCRIPTION_LIMIT
