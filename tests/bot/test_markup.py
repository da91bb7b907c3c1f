"""Text someone typed, shown in markdown (`bot.markup.literal`): as typed, never formatted, never pinging (issue 21)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from bot.markup import literal

ZWSP = "\u200b"
URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
INLINE = set("\\*_~`|[]")
HOSTILE = st.lists(
    st.sampled_from(
        ["**", "*", "_", "__", "~~", "`", "```", "||", "[x](https://e.org)", "\\", "# ", "> ", "- ", "-# ", "+ ",
         "1. ", "\n", " ", "@everyone", "@here", "<@&1>", "<@1>", "<#2>", "<:e:3>", "<t:0:R>", "</c:4>", "<", "@",
         "https://x.io/a_b*c", "word", "é"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


def unescaped(shown: str) -> str:
    """What a reader sees: escapes and zero-width spaces gone, links as they are."""
    seen = []
    start = 0
    for link in URL.finditer(shown):
        seen += [re.sub(r"\\([^0-9A-Za-z\s])", r"\1", shown[start : link.start()]), link[0]]
        start = link.end()
    seen.append(re.sub(r"\\([^0-9A-Za-z\s])", r"\1", shown[start:]))
    return "".join(seen).replace(ZWSP, "")


def formatting(shown: str, *, starts_line: bool = True) -> list[str]:
    """Markdown Discord would act on: an unescaped inline mark outside a link, a block mark at a line's start (the
    first line's too when the text is placed at the start of one), a ping or a tag."""
    found = []
    outside = URL.sub("L", shown)  # a link is text: what follows it on its line does not start that line
    index = 0
    while index < len(outside):
        char = outside[index]
        if char == "\\" and index + 1 < len(outside) and not outside[index + 1].isalnum():
            index += 2
            continue
        if char in INLINE:
            found.append(f"{char!r} at {index}")
        index += 1
    lines = outside.split("\n")
    found += [line for line in lines[0 if starts_line else 1 :] if re.match(r"[ \t]*(?:[#>+-]|\d+\.)", line)]
    found += re.findall(r"@(?:everyone|here)|<[@#:/]|<[at]:", shown, re.IGNORECASE)
    return found


@given(st.one_of(HOSTILE, st.text(max_size=300)))
@example("Party **bold** <@&1> @everyone _x_")
@example("# Big news\n> quoted\n- listed\n12. numbered")
@example("https://x.io/a_b*c> ")
def test_typed_text_shows_as_typed_and_formats_nothing(text: str) -> None:
    """Kind: echoed text. Whatever a moderator typed, it reads as typed, with no markdown, tag or ping taking
    effect."""
    at_start = literal(text, starts_line=True)  # a description, after a blank line
    within = literal(text)  # a title, inside a sentence
    assert formatting(at_start) == [] and formatting(within, starts_line=False) == []
    assert unescaped(at_start) == unescaped(within) == text.replace(ZWSP, "")


@given(st.one_of(HOSTILE, st.text(max_size=300)), st.integers(1, 120))
@example("*" * 300, 100)
@example("<@" * 200, 100)
def test_typed_text_is_cut_to_its_room_escapes_included(text: str, limit: int) -> None:
    shown = literal(text, limit, starts_line=True)
    assert len(shown) <= limit
    assert formatting(shown.removesuffix("…")) == []
    if len(text) <= limit // 2:
        assert unescaped(shown) == text.replace(ZWSP, "")


def test_the_issue_title() -> None:
    assert literal("Party **bold** <@&1> @everyone _x_") == (
        f"Party \\*\\*bold\\*\\* <{ZWSP}@&1> @{ZWSP}everyone \\_x\\_"
    )
