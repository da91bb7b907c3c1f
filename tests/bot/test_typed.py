"""Typed text at the boundary (`bot.typed`) and the one way it is echoed back (`bot.markup.quote`), issue 10."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.markup import QUOTE_LIMIT, quote
from bot.typed import link_problem, text_problem
from fakediscord.limits import url_problem

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # surrogates and controls included


@given(st.text(alphabet=ANY_CHARACTER, max_size=200))
@example("   ")
@example("\u200b\u200f")
@example("\ud800 party")
@example("party\x07")
def test_text_with_a_control_character_a_surrogate_or_nothing_visible_is_refused(text: str) -> None:
    """Kind: free text in any option. Exactly these are refused, and whatever passes can be encoded."""
    categories = {unicodedata.category(c) for c in text}
    blank = all(c.isspace() or unicodedata.category(c) in ("Zs", "Zl", "Zp", "Cf") for c in text)
    problem = text_problem(text)
    assert (problem is not None) == bool(categories & {"Cc", "Cs"} or blank)
    if problem is None:
        text.encode("utf-8")


URLS = st.builds(
    "{}://{}{}/{}".format,
    st.sampled_from(["https", "http", "ftp", "HTTPS", "javascript", ""]),
    st.sampled_from(["example.org", "exa mple.com", "localhost", "a.localhost", "example", "bücher.de", "x..y", ""]),
    st.sampled_from(["", ":8080", ":0", ":99999", ":x"]),
    st.text(max_size=20),
)


@given(st.one_of(URLS, st.text(max_size=60)))
@example("https://exa mple.com/x")
@example("http://localhost/x")
def test_a_link_accepted_when_typed_is_accepted_by_discord_on_an_embed(url: str) -> None:
    """Kind: links. The typed-link rule is at least as strict as Discord's embed rule (the emulator's copy)."""
    if link_problem(url) is None:
        assert url_problem(url) is None, url


@given(st.text(alphabet=ANY_CHARACTER, max_size=3000))
@example("x" * 1900)
@example("@everyone <@123> <@&456> **bold** `code`")
def test_a_quote_is_short_on_one_line_and_pings_nobody(text: str) -> None:
    """Kind: echoes of input. Whatever was typed, the quote is bounded, single-line and inert."""
    quoted = quote(text)
    assert len(quoted) <= 2 * QUOTE_LIMIT + 2  # every character escaped at worst
    assert "\n" not in quoted and "@everyone" not in quoted and "<@" not in quoted
    assert quoted.startswith("'") and quoted.endswith("'")
