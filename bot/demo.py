"""`python -m bot demo`: the real bot, a local emulated Discord, and a scripted fan-server session as text.

It needs no token and no network: the emulator listens on loopback and the database is a temporary file.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from bot.catalogue import Catalogue
from bot.emulated import emulated_bot, fake_token
from fakediscord import FakeDiscord, Pick, pick

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")


def render_timestamps(text: str) -> str:
    """Discord shows `<t:…>` in each reader's zone; a transcript shows UTC."""

    def replace(match: re.Match[str]) -> str:
        moment = dt.datetime.fromtimestamp(int(match.group(1)), tz=dt.UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    return _TIMESTAMP.sub(replace, text)


def render_reply(reply: Any) -> list[str]:
    """A reply as a fan reads it: who can see it, the text, each embed, and the buttons under it."""
    lines = ["  bot" + (" (only you can see this)" if reply.ephemeral else "") + ":"]
    if reply.content:
        lines += [f"    {line}" for line in reply.content.splitlines()]
    for embed in reply.embeds:
        lines += render_embed(embed)
    buttons = [_component_label(c) for row in reply.components for c in row.get("components", [])]
    if buttons:
        lines.append("    " + " ".join(buttons))
    return [render_timestamps(line) for line in lines]


def render_embed(embed: dict[str, Any]) -> list[str]:
    lines = [f"    ┃ {embed['title']}"] if embed.get("title") else []
    for text in embed.get("description", "").splitlines():
        lines.append(f"    ┃ {text}")
    for item in embed.get("fields", []):
        lines.append(f"    ┃ ▸ {item['name']}")
        lines += [f"    ┃   {text}" for text in item["value"].splitlines()]
    if embed.get("footer"):
        lines.append(f"    ┃ — {embed['footer']['text']}")
    return lines


def _component_label(component: dict[str, Any]) -> str:
    label = component.get("label") or component.get("placeholder") or component.get("custom_id", "?")
    return f"({label})" if component.get("disabled") else f"[{label}]"


def _typed(command: str, options: dict[str, Any]) -> str:
    """What the member typed; a picked suggestion shows the letters typed before picking."""
    shown = {name: value.partial if isinstance(value, Pick) else value for name, value in options.items()}
    return " ".join([command, *(f"{name}:{value}" for name, value in shown.items())])


async def run_demo(
    catalogue: Catalogue, out: TextIO, steps: Iterable[tuple[str, str, dict[str, Any]]] | None = None
) -> None:
    """Play `steps` (member name, command, options) against the real bot and write the transcript to `out`."""
    logging.getLogger().setLevel(logging.WARNING)  # the transcript is the output; only problems are logged
    token = fake_token()
    with tempfile.TemporaryDirectory(prefix="hr-demo-") as folder:
        async with FakeDiscord(token=token) as fd:
            guild = fd.add_guild("Heated Rivalry Fans")
            channel = guild.add_text_channel("soundtrack")
            members = {name: guild.add_member(name) for name in ("Shane", "Ilya", "Rose")}
            async with emulated_bot(fd, token, Path(folder) / "demo.sqlite3", catalogue):
                out.write(f"# {guild.name} · #{channel.name} (the bot is connected to a local emulated Discord)\n\n")
                for who, command, options in steps if steps is not None else DEMO_SCRIPT:
                    out.write(f"{who} › {_typed(command, options)}\n")
                    reply = await members[who].run(command, channel=channel, **options)
                    if reply.autocomplete_choices:
                        shown = ", ".join(c["name"] for c in reply.autocomplete_choices[:5])
                        out.write(f"  (autocomplete offered: {shown})\n")
                    out.write("\n".join(render_reply(reply)) + "\n\n")
                    if command == "/soundtrack tracks" and reply.components:
                        out.write(f"{who} › clicks [Next]\n")
                        turned = await members[who].click(reply, "Next")
                        out.write("\n".join(render_reply(turned)) + "\n\n")
            if fd.violations:
                raise RuntimeError(f"the bot broke Discord's rules during the demo: {fd.violations}")


DEMO_SCRIPT: list[tuple[str, str, dict[str, Any]]] = [
    ("Shane", "/soundtrack about", {}),
    ("Ilya", "/soundtrack tracks", {}),
    ("Rose", "/soundtrack track", {"track": pick("rivl")}),
    ("Shane", "/soundtrack track", {"track": "rivalry theme remix"}),
    ("Ilya", "/soundtrack episode", {"number": 1}),
    ("Rose", "/soundtrack song", {"query": pick("dumas")}),
    ("Shane", "/poll vote", {"track": pick("rivalry")}),
    ("Ilya", "/poll vote", {"track": pick("its you")}),
    ("Rose", "/poll vote", {"track": pick("rival")}),
    ("Ilya", "/poll vote", {"track": pick("melt")}),
    ("Rose", "/poll results", {}),
    ("Shane", "/about", {}),
]
