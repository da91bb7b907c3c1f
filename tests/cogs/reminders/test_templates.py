"""Reminder templates: placeholders, the errors moderators see, Discord's limit, and no stray pings."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.markup import CONTENT_LIMIT, neutralise
from bot.typed import LINK_LIMIT
from cogs.reminders.templates import (
    DEFAULT_TEMPLATE,
    DEFAULT_TEXT,
    PLACEHOLDERS,
    RELEASE_LIMIT,
    TEMPLATE_LIMIT,
    TemplateError,
    Values,
    parse_template,
    render,
    timing_line,
)
from cogs.reminders.timeparse import AT_RELEASE, LeadTime

ZWSP = "\u200b"
WHEN, COUNTDOWN = "<t:1780000000:F>", "<t:1780000000:R>"  # a release with a time, as `bot.when` writes it
VALUES = Values(
    release="Heated Rivalry soundtrack on vinyl",
    when=WHEN,
    countdown=COUNTDOWN,
    server="Shane & Ilya fans",
    role_id=123456789012345678,
    link="https://example.com/vinyl",
)
LIST = "Use {release}, {when}, {countdown}, {role}, {link} or {server}; write {{ and }} for literal braces."


def test_every_placeholder_renders() -> None:
    template = parse_template("{role} {release} {when} {countdown} {link} {server}")
    assert render(template, VALUES) == (
        "<@&123456789012345678> Heated Rivalry soundtrack on vinyl <t:1780000000:F> <t:1780000000:R> "
        "https://example.com/vinyl Shane & Ilya fans"
    )


def test_default_template() -> None:
    assert DEFAULT_TEMPLATE.text == DEFAULT_TEXT
    assert render(DEFAULT_TEMPLATE, VALUES) == (
        "<@&123456789012345678> **Heated Rivalry soundtrack on vinyl**: <t:1780000000:F> (<t:1780000000:R>)"
    )


def test_missing_role_and_link_render_empty() -> None:
    bare = Values(release="Season 2", when="<t:1800000000:F>", countdown="<t:1800000000:R>", server="Fans")
    assert render(DEFAULT_TEMPLATE, bare) == "**Season 2**: <t:1800000000:F> (<t:1800000000:R>)"
    assert render(parse_template("Listen: {link}"), bare) == "Listen:"


def test_double_braces_are_literal() -> None:
    template = parse_template("{{release}} is {release} }}{{")
    assert render(template, VALUES) == "{release} is Heated Rivalry soundtrack on vinyl }{"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{rlease} is out", f"{{rlease}} is not a placeholder. Did you mean {{release}}? {LIST}"),
        ("{Role}", f"{{Role}} is not a placeholder. Did you mean {{role}}? {LIST}"),
        ("{date}", f"{{date}} is not a placeholder. {LIST}"),
        ("{}", f"{{}} is not a placeholder. {LIST}"),
        ("{0}", f"{{0}} is not a placeholder. {LIST}"),
        ("{ release }", f"{{ release }} is not a placeholder. Did you mean {{release}}? {LIST}"),
        ("{when:R}", "{when:R}: placeholders take no format or options; write just {when}."),
        ("{release!r}", "{release!r}: placeholders take no format or options; write just {release}."),
        ("{release.title}", "{release.title}: placeholders take no format or options; write just {release}."),
        ("{" + "x" * 60 + "}", f"{{{'x' * 39}…}} is not a placeholder. {LIST}"),
        (
            "out {release",
            "The '{' at character 5 opens a placeholder that is never closed: write {{ for a literal brace, "
            "or a placeholder like {release}.",
        ),
        (
            "{release {when}",
            "The '{' at character 1 opens a placeholder that is never closed: write {{ for a literal brace, "
            "or a placeholder like {release}.",
        ),
        ("smile :}", "The '}' at character 8 closes no placeholder: write }} for a literal brace."),
        ("", "The template is empty: give some text, or omit the option to restore the default."),
        ("   ", "The template is empty: give some text, or omit the option to restore the default."),
        ("x" * 1001, "The template is 1,001 characters long; at most 1,000 are allowed."),
        (
            "{link}" * 4,
            "With a long release title or link this template could reach 2,056 characters, more than Discord's "
            "2,000: use {link} and {release} fewer times.",
        ),
    ],
)
def test_bad_templates_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as error:
        parse_template(text)
    assert str(error.value) == message
    assert isinstance(error.value, ValueError)


def test_a_template_of_the_maximum_length_is_accepted() -> None:
    text = "{release} " + "x" * (TEMPLATE_LIMIT - 10)
    assert len(text) == TEMPLATE_LIMIT
    assert render(parse_template(text), VALUES).endswith("x")


@pytest.mark.parametrize(
    "text",
    ["@everyone {release}", "@here it is", "@EVERYONE", "<@&99> and <@42> and <@!42>", "@{server}", "<{server}"],
)
def test_template_text_cannot_ping(text: str) -> None:
    rendered = render(
        parse_template(text), Values(release="x", when=WHEN, countdown=COUNTDOWN, server="here", role_id=7)
    )
    assert not re.search(r"@(everyone|here)|<@", rendered, re.IGNORECASE)


def test_only_the_role_placeholder_mentions() -> None:
    template = parse_template("{role} @everyone <@&123456789012345678> {release} {server}")
    values = Values(
        release="@here now", when=WHEN, countdown=COUNTDOWN, server="<@1> @everyone", role_id=123456789012345678
    )
    rendered = render(template, values)
    assert rendered.startswith("<@&123456789012345678> ")
    assert re.findall(r"<@&?!?\d+>", rendered) == ["<@&123456789012345678>"]
    assert f"@{ZWSP}everyone" in rendered
    assert f"@{ZWSP}here now" in rendered


def test_links_are_left_intact_and_overlong_ones_left_out() -> None:
    link = "https://www.youtube.com/@heresthechannel"
    assert render(parse_template("{link}"), Values("x", WHEN, COUNTDOWN, "s", link=link)) == link
    assert (
        render(parse_template("[{link}]"), Values("x", WHEN, COUNTDOWN, "s", link="https://x.io/" + "a" * LINK_LIMIT))
        == "[]"
    )


def test_neutralise() -> None:
    assert neutralise("@everyone and @here, <@&1>") == f"@{ZWSP}everyone and @{ZWSP}here, <{ZWSP}@&1>"
    assert neutralise(neutralise("@here")) == neutralise("@here")
    assert neutralise("mail me@example.com") == "mail me@example.com"


def test_long_names_are_clamped() -> None:
    rendered = render(parse_template("{release}|{server}"), Values("r" * 300, WHEN, COUNTDOWN, "s" * 300))
    release, server = rendered.split("|")
    assert len(release) == RELEASE_LIMIT
    assert release.endswith("…")
    assert len(server) == 100


pieces = st.one_of(
    st.sampled_from([f"{{{name}}}" for name in PLACEHOLDERS]),
    st.sampled_from(["@everyone", "@here", "<@", "<@&1>", "@", "{{", "}}", "<", " ", "**"]),
    st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30),
)
nasty = st.lists(st.sampled_from(["@", "<", "everyone", "here", "&", "1", "x", " "]), max_size=120).map("".join)


@given(
    st.lists(pieces, max_size=60).map("".join),
    nasty,
    nasty,
    st.none() | st.integers(0, 2**64 - 1),
    st.none() | st.text(max_size=700),
    st.integers(0, 253402300799),
)
def test_any_accepted_template_renders_within_the_limit_without_pings(
    text: str, release: str, server: str, role_id: int | None, link: str | None, release_at: int
) -> None:
    try:
        template = parse_template(text)
    except TemplateError:
        return
    when = f"<t:{release_at}:F>" if release_at % 2 else "Wednesday 29 September 2027"  # a time, or a date alone
    rendered = render(template, Values(release, when, f"<t:{release_at}:R>", server, role_id, link))
    assert len(rendered) <= CONTENT_LIMIT
    without_role = rendered.replace(f"<@&{role_id}>", " ") if role_id is not None else rendered
    without_link = without_role.replace(link, " ") if link else without_role
    assert not re.search(r"@(everyone|here)|<@", without_link, re.IGNORECASE)


@given(st.text(max_size=1200))
def test_any_text_is_accepted_or_refused_with_a_template_error(text: str) -> None:
    with contextlib.suppress(TemplateError):
        parse_template(text)


@pytest.mark.parametrize(
    ("lead", "late", "when", "countdown", "line"),
    [
        (LeadTime(days=7), False, WHEN, COUNTDOWN, "Comes out <t:1780000000:R>: <t:1780000000:F>."),
        (LeadTime(days=1), False, "Tue 1 June 2027", "tomorrow", "Comes out tomorrow: Tue 1 June 2027."),
        (AT_RELEASE, False, WHEN, COUNTDOWN, "Out now: <t:1780000000:F>."),
        (
            AT_RELEASE,
            True,
            WHEN,
            COUNTDOWN,
            "Came out <t:1780000000:R>, on <t:1780000000:F>. This reminder could not be posted on time.",
        ),
    ],
)
def test_timing_line_says_the_countdown_once(lead: LeadTime, late: bool, when: str, countdown: str, line: str) -> None:
    """Kind: a countdown said twice. The post's line says when and how far, once; its footer names the lead time
    ("1 day to go: out in 1 day" was the lead and the countdown, the same thing twice)."""
    assert timing_line(lead, when, countdown, late=late) == line


def test_a_stored_template_checked_against_shorter_placeholders_still_posts_within_the_limit() -> None:
    """A date in words is longer than the timestamp {when} used to be: a template accepted before, near the limit, is
    not refused when its post is made, and the post still fits."""
    text = "{link} {link} {link} " + "{when}" * 20  # 1,942 characters at worst with 18-character timestamps
    with pytest.raises(TemplateError):
        parse_template(text)
    long_link = "https://example.org/" + "a" * (LINK_LIMIT - 20)
    values = Values("x", "Wednesday 29 September 2027", "in 3,650 days", "s", link=long_link)
    assert len(render(parse_template(text, stored=True), values)) <= CONTENT_LIMIT
