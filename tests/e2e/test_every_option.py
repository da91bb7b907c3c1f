"""A property over every string option of every command, read from the bot's own command tree (issue 10).

A new command or option is covered without touching this file. Each option gets hostile text: long text,
emoji, zero-width and right-to-left characters, markdown, every mention form, template placeholders,
control characters and unpaired surrogates, and values at and past its declared length bounds. For each:
- the bot acknowledges within Discord's 3 seconds (the emulator fails the test otherwise) and its answer
  settles;
- every answer is within Discord's limits (the emulator records any breach in `fd.violations`);
- no internal-error apology, and nothing logged at ERROR (no traceback);
- no public message notifies anyone: this server configured no role, so nobody may be pinged.

`HR_OPTION_EXAMPLES` sets how many hypothesis examples run (each one types into every option); 10 by default.
The slow test types every `HOSTILE` entry into every option (about a minute, in `SLICES` parts).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import pytest
from discord import AppCommandOptionType, app_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import INTERNAL_ERROR
from fakediscord import Member, Reply
from tests.e2e.conftest import FanServer

EXAMPLES = int(os.environ.get("HR_OPTION_EXAMPLES", "10"))
HOSTILE = (
    "", " ", "   ", "\u200b", "\u200d", "\u200f", "\u202e", "\ufeff", "\x00", "\x07", "\x1b[31m", "\n", "\ud800",
    "\udfff", "🔥", "👩‍👩‍👧‍👦", "🏳️‍🌈", "עברית", "مرحبا", "日本語", "Ça été", "**bold**", "__u__", "`code`", "```",
    "||spoiler||", "> quote", "# Title", "[link](https://example.org)", "<https://example.org>", "@everyone",
    "@here", "<@123456789012345678>", "<@!123456789012345678>", "<@&123456789012345678>", "<#123456789012345678>",
    "<t:253402300799:R>", "{release}", "{role}", "{{", "}}", "{", "}", "%s", "'; DROP TABLE poll_ballots; --",
    "2035-06-01", "23:59", "9999-12-31", "UTC+1", "GMT-5", "EST", "7d, 1d, 0", "https://exa mple.com/x",
    "http://localhost/x", "https://example.org/" + "a" * 600, "x" * 2000,
)  # fmt: skip
# Valid values for the other required options of a command while one option is fuzzed; an option missing
# here gets the fuzzed text too, so a new required option is still exercised.
VALID = {"title": "Watch party", "date": "2035-06-01", "time": "20:00", "track": "melt", "zone": "UTC", "spec": "1d, 0"}


@dataclass(frozen=True)
class StringOption:
    command: str  # "/reminders add-release"
    name: str
    min_length: int
    max_length: int | None
    autocomplete: bool


def string_options(tree: app_commands.CommandTree[Any]) -> list[StringOption]:
    """Every free-text string option of every slash command the bot registers (choices are the bot's own)."""
    found = []
    for command in tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        for parameter in command.parameters:
            if parameter.type is AppCommandOptionType.string and not parameter.choices:
                found.append(
                    StringOption(
                        f"/{command.qualified_name}",
                        parameter.name,
                        int(parameter.min_value or 0),
                        None if parameter.max_value is None else int(parameter.max_value),
                        parameter.autocomplete,
                    )
                )
    return found


def hostile_text() -> st.SearchStrategy[str]:
    """Pieces joined: half of them from `HOSTILE`, the rest any text or any single character."""
    known = st.sampled_from(HOSTILE)
    pieces = st.one_of(known, known, st.text(max_size=12), st.characters(codec=None, exclude_categories=()))
    return st.lists(pieces, min_size=1, max_size=6).map("".join)


SETTLE = 0.05  # the emulator's quiet period after each answer (conftest's `fd`): every answer is one response


def values_for(
    option: StringOption, text: str, server: FanServer, tree: app_commands.CommandTree[Any]
) -> dict[str, Any]:
    command = next(
        c
        for c in tree.walk_commands()
        if isinstance(c, app_commands.Command) and f"/{c.qualified_name}" == option.command
    )
    values: dict[str, Any] = {option.name: text}
    for parameter in command.parameters:
        if parameter.required and parameter.name != option.name:
            if parameter.type is AppCommandOptionType.channel:
                values[parameter.name] = server.channel
            elif parameter.type is AppCommandOptionType.string:
                values[parameter.name] = VALID.get(parameter.name, text)
            else:
                raise AssertionError(f"{option.command} needs a value for its {parameter.type.name} option")
    return values


async def typed_into(
    mod: Member, option: StringOption, text: str, server: FanServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Type `text` into `option` (and autocomplete it), and check everything the property promises."""
    within = option.min_length <= len(text) and (option.max_length is None or len(text) <= option.max_length)
    values = values_for(option, text, server, server.bot.tree)
    if not within:  # Discord's client never sends it: the bound is declared on the option
        with pytest.raises(AssertionError, match=r"at least|at most"):
            await mod.run(option.command, options=values)
        return
    caplog.clear()
    reply: Reply = await mod.run(option.command, options=values)
    await reply.wait(timeout=5)
    label = f"{option.command} {option.name}={text[:60]!r}"
    assert reply.rejected == [], (label, reply.rejected)
    assert not reply.loading, f"{label}: still thinking"
    shown = [m.content for m in reply.messages] + [str(e) for m in reply.messages for e in m.embeds]
    assert reply.messages and not any(INTERNAL_ERROR in part for part in shown), (label, shown)
    assert not reply.mentions, f"{label}: a public message notified {reply.mentions}"
    if option.autocomplete:
        await mod.autocomplete(option.command, option.name, text, options=values)  # fails on "Loading failed"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], (label, [r.getMessage() for r in errors])


async def test_every_string_option_at_and_past_its_bounds(server: FanServer, caplog: pytest.LogCaptureFixture) -> None:
    """At the declared bound the bot answers like for any text; past it (or empty) Discord's client sends nothing."""
    mod = server.guild.add_member("Mod", manage_guild=True)
    options = string_options(server.bot.tree)
    assert len(options) >= 10, "every command's string options are found"
    for option in options:
        bound = option.max_length
        assert bound is not None, f"{option.command} {option.name} declares no max_length"
        for text in (("@everyone " * bound)[:bound], "🔥" * bound, "x" * (bound + 1), ""):
            await typed_into(mod, option, text, server, caplog)


SLICES = 6  # the slow test's share of `HOSTILE` per run, so that parallel workers share it out


@pytest.mark.slow
@pytest.mark.parametrize("part", range(SLICES))
async def test_every_hostile_text_in_every_string_option(
    server: FanServer, caplog: pytest.LogCaptureFixture, part: int
) -> None:
    """The whole catalogue of hostile text, each entry in each option: what random examples may miss."""
    mod = server.guild.add_member("Mod", manage_guild=True)
    for option in string_options(server.bot.tree):
        for text in HOSTILE[part::SLICES]:
            text = text.ljust(option.min_length, "\u200b")[: option.max_length]
            await typed_into(mod, option, text, server, caplog)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_string_option_answers_hostile_text_within_limits(
    server: FanServer, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    moderator = server.guild.add_member("Mod", manage_guild=True)  # one per example: members are cheap
    for option in string_options(server.bot.tree):
        text = data.draw(hostile_text(), label=f"{option.command} {option.name}")
        text = text.ljust(option.min_length, "\u200b")  # Discord's client sends nothing shorter
        if option.max_length is not None:
            text = text[: option.max_length]
        await typed_into(moderator, option, text, server, caplog)
