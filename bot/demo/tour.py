"""The demo's script and transcript: the real bot, a local emulated Discord, and a scripted fan-server session as text.

It needs no token and no network: the emulator listens on loopback and the database is a temporary file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import tempfile
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.bot import HeatedRivalryBot
from bot.catalogue import Catalogue
from bot.clock import SystemClock
from bot.demo.harness import emulated_bot, fake_token
from fakediscord import Channel, FakeDiscord, Guild, Message, Pick, Reply, pick
from fakediscord import permissions as perms

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_MENTION = re.compile(r"<(#|@&|@!?)(\d+)>")


def render_timestamps(text: str, now: int) -> str:
    """Discord shows `<t:…>` in each reader's zone; a transcript shows UTC, and `:R` relative to `now`."""

    def replace(match: re.Match[str]) -> str:
        epoch = int(match.group(1))
        if match.group(2) == "R":
            return relative(epoch - now)
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%a %d %b %Y %H:%M UTC")

    return _TIMESTAMP.sub(replace, text)


def relative(seconds: int) -> str:
    """Like Discord's relative timestamps: the largest whole unit."""
    size = abs(seconds)
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if size >= length:
            count = size // length
            span = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {span}" if seconds > 0 else f"{span} ago"
    return "now"


def render_mentions(text: str, guild: Guild) -> str:
    """`<#id>`, `<@&id>` and `<@id>` as the names a reader sees."""

    def replace(match: re.Match[str]) -> str:
        kind, snowflake = match.groups()
        if kind == "#" and (snowflake in guild.channels or snowflake in guild.threads):
            return f"#{(guild.channels.get(snowflake) or guild.threads[snowflake]).name}"
        if kind == "@&" and snowflake in guild.roles:
            return f"@{guild.roles[snowflake].name}"
        if snowflake in guild.members:
            return f"@{guild.members[snowflake].user.username}"
        return match.group(0)

    return _MENTION.sub(replace, text)


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
    answer = reply.followups[-1] if reply.followups else reply.message
    return lines + (render_files(answer) if answer is not None else [])


def render_files(message: Message) -> list[str]:
    """The files attached to a message (a standings chart), with their alt text."""
    lines = []
    for stored in message.files:
        width, height = stored.dimensions or (0, 0)
        lines.append(f"    📎 {stored.filename} ({width}×{height} px, {stored.size // 1024} KB)")
        if stored.description:
            lines.append(f"       alt text: {stored.description}")
    return lines


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
    shown = {
        name: value.partial if isinstance(value, Pick) else getattr(value, "mention", value)
        for name, value in options.items()
    }
    return " ".join([command, *(f"{name}:{value}" for name, value in shown.items())])


def render_post(guild: Guild, message: Message) -> list[str]:
    """A message the bot posted on its own (a reminder, a party's cue), with whom it notified."""
    where = guild.channels.get(message.channel_id) or guild.threads[message.channel_id]
    lines = [f"  bot posted in #{where.name}:"]
    lines += [f"    {line}" for line in message.content.splitlines()]
    for embed in message.embeds:
        lines += render_embed(embed)
    buttons = [_component_label(c) for row in message.components for c in row.get("components", [])]
    if buttons:
        lines.append("    " + " ".join(buttons))
    lines += render_files(message)
    roles = [guild.roles[role_id].name for role_id in message.mentioned_role_ids]
    lines.append("    (notified: " + (", ".join(f"@{name}" for name in roles) or "nobody") + ")")
    return lines


def render_events(guild: Guild) -> list[str]:
    """The server's Events list, as Discord shows it to members (the native events the bot keeps)."""
    lines = [f"  Discord · {guild.name} · Events ({len(guild.scheduled_events)}):"]
    for event in sorted(guild.scheduled_events.values(), key=lambda e: e.start_time):
        start = int(event.start_time.timestamp())
        lines.append(f"    ◆ {event.name} · <t:{start}:F> · {event.location} · {event.status_name}")
        lines += [f"      {line}" for line in (event.description or "").splitlines() if line]
    return lines


class Tour:
    """The transcript of one fan server: members type commands, time passes, the bot answers and posts."""

    def __init__(self, fd: FakeDiscord, bot: HeatedRivalryBot, out: TextIO) -> None:
        self.fd = fd
        self.bot = bot
        self.out = out
        self.set_up()

    def set_up(self) -> None:
        """The server, its channels, its roles and its members."""
        fd = self.fd
        self.guild = fd.add_guild("Heated Rivalry Fans", bot_permissions=perms.DEFAULT_BOT | perms.MANAGE_ROLES)
        self.chat = self.guild.add_text_channel("soundtrack")
        self.news = self.guild.add_text_channel("announcements")
        self.role = self.guild.add_role("Release news", mentionable=True, position=0)  # below the bot's role
        self.members = {name: self.guild.add_member(name) for name in ("Shane", "Ilya", "Rose")}
        self.members["Léa"] = self.guild.add_member("Léa", locale="fr")  # her Discord is in French
        self.members["Mod"] = self.guild.add_member("Mod", manage_guild=True)
        self.members["Rose"].add_role(self.role)

    def say(self, text: str) -> None:
        """Write `text` as a reader would see it: times in UTC (relative to the bot's clock), names for ids."""
        now = self.bot.clock.now()
        self.out.write(render_mentions(render_timestamps(text, now), self.guild) + "\n")

    async def run(self, who: str, command: str, **options: Any) -> Reply:
        self.say(f"{who} › {_typed(command, options)}")
        bound = {"channel": options.pop("channel")} if "channel" in options else None
        reply = await self.members[who].run(command, channel=self.chat, options=bound, **options)
        if reply.autocomplete_choices:
            self.say("  (autocomplete offered: " + ", ".join(c["name"] for c in reply.autocomplete_choices[:5]) + ")")
        self.say("\n".join(render_reply(reply)) + "\n")
        return reply

    async def click(self, who: str, reply: Reply | Message, label: str) -> Reply:
        self.say(f"{who} › clicks [{label}]")
        turned = await self.members[who].click(reply, label)
        self.say("\n".join(render_reply(turned)) + "\n")
        return turned

    def show_post(self, channel: Channel) -> None:
        """The last message in `channel`, as the channel reads it (a ballot the bot just posted)."""
        self.say("\n".join(render_post(self.guild, self.fd.channel_messages(channel)[-1])) + "\n")

    async def skip_to(self, epoch: int, what: str) -> None:
        """Move the bot's clock forward and show what it posted by itself meanwhile."""
        clock = self.bot.clock
        assert isinstance(clock, SystemClock)
        before = len(self.fd.channel_messages(self.news))
        clock.jump_to(epoch)
        self.say(f"… time passes: it is now <t:{epoch}> ({what}) …")
        async with asyncio.timeout(10):
            await self.bot.wait_idle()
        for message in self.fd.channel_messages(self.news)[before:]:
            self.say("\n".join(render_post(self.guild, message)) + "\n")

    def party_posts(self) -> list[Message]:
        """The listening party's posts not shown yet (its start message in the channel, its cues and recap in its
        thread), in the order Discord took them; each is shown once."""
        shown = self.__dict__.setdefault("shown", set())
        posts = []
        for channel in (self.chat, *self.guild.threads.values()):
            for message in self.fd.channel_messages(channel):
                footer = message.embeds[0].get("footer", {}).get("text", "") if message.embeds else ""
                if footer.startswith("Listening party") and message.id not in shown:
                    shown.add(message.id)
                    posts.append(message)
        for message in posts:
            self.say("\n".join(render_post(self.guild, message)) + "\n")
        return posts


class FrenchServer(Tour):
    """A French fan server that is not a Community server: Discord gives it no language, so its posts were English."""

    def set_up(self) -> None:
        self.guild = self.fd.add_guild("Fans de Rivalité passionnée")
        self.chat = self.guild.add_text_channel("discussion")
        self.news = self.guild.add_text_channel("annonces")
        self.members = {
            "Modo": self.guild.add_member("Modo", manage_guild=True, locale="fr"),
            "Chloé": self.guild.add_member("Chloé", locale="fr"),
            "Shane": self.guild.add_member("Shane"),  # his Discord is in English
        }


async def french_server(t: FrenchServer) -> None:
    """`/settings language` (`/réglages langue` in French): posts in French, private answers in each member's."""
    t.say(f"## {t.guild.name}: not a Community server, so Discord gives it no language; `/settings language` does\n")
    await t.run("Modo", "/sondage-admin publier", salon=t.news)
    t.show_post(t.news)
    await t.run("Modo", "/réglages langue", langue="fr")
    await t.run("Modo", "/sondage-admin publier", salon=t.news)
    t.show_post(t.news)
    await t.run("Chloé", "/sondage voter", pièce=pick("melt"))
    await t.run("Shane", "/poll vote", track=pick("rivalry"))
    await t.run("Modo", "/rappels salon", salon=t.news)
    await t.run("Modo", "/rappels fuseau-horaire", fuseau="Montréal")
    await t.run("Modo", "/rappels délais", délais="7j, 1j, 0")
    await t.run("Modo", "/rappels événements", mode="on")
    t.say("\n".join(render_events(t.guild)) + "\n")


async def tour(t: Tour) -> None:
    """The scripted session: the soundtrack, the poll, then a moderator's reminders."""
    t.say(f"# {t.guild.name} (the real bot, connected to a local emulated Discord)\n")
    t.say("## The soundtrack\n")
    about = await t.run("Shane", "/soundtrack about")
    await t.click("Shane", about, "Sources")
    await t.run("Ilya", "/soundtrack tracks")
    await t.run("Rose", "/soundtrack track", track=pick("rivl"))
    await t.run("Shane", "/soundtrack track", track="rivalry theme remix")
    await t.run("Ilya", "/soundtrack episode", number=1)
    await t.run("Rose", "/soundtrack song", query=pick("dumas"))

    t.say("## The favourite-track poll\n")
    await t.run("Shane", "/poll vote", track=pick("rivalry"))
    await t.run("Ilya", "/poll vote", track=pick("its you"))
    await t.run("Rose", "/poll vote", track=pick("rival"))
    await t.run("Ilya", "/poll vote", track=pick("melt"))
    await t.run("Rose", "/poll results")

    t.say("## In French: Léa's Discord is in French, so she types the French names and reads French\n")
    await t.run("Léa", "/trame-sonore à-propos")
    await t.run("Léa", "/sondage voter", pièce=pick("rivalry"))
    await t.run("Léa", "/sondage résultats")

    t.say("## Release-day reminders\n")
    party = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)
    await t.run("Mod", "/reminders channel", channel=t.news)
    await t.run("Mod", "/reminders role", role=t.role)
    await t.run("Mod", "/reminders timezone", zone=pick("toronto"))
    await t.run("Mod", "/reminders leadtimes", spec="1d, 0")
    await t.run(
        "Mod", "/reminders add-release", title="Soundtrack listening party", date=party.isoformat(), time="20:00"
    )
    await t.run("Mod", "/reminders events", mode="on")
    t.say("\n".join(render_events(t.guild)) + "\n")
    upcoming = await t.run("Shane", "/releases upcoming")
    await t.click("Shane", upcoming, "Notify me")
    starts = int(dt.datetime.combine(party, dt.time(20, 0), ZoneInfo("America/Toronto")).timestamp())
    await t.skip_to(starts - 86400, "one day before the party")
    await t.skip_to(starts, "the party starts")
    await t.run("Mod", "/reminders status")
    await t.run("Shane", "/about")


async def party(t: Tour) -> None:
    """A short listening party: two tracks, hosted (the bundled catalogue knows no durations yet), in the chat."""
    t.say("## A listening party\n")
    start = (t.bot.clock.now() // 60 + 10) * 60
    at = dt.datetime.fromtimestamp(start, ZoneInfo("America/Toronto"))  # the server's time zone, set above
    await t.run(
        "Mod", "/party-admin schedule", title="Album night", date=f"{at:%Y-%m-%d}", time=f"{at:%H:%M}",
        play="tracks", tracks="1, 2", advance="hosted",
    )  # fmt: skip
    await t.run("Ilya", "/party now")
    await t.skip_to(start, "the party starts")
    [opening] = t.party_posts()
    countdown = _TIMESTAMP.search(opening.embeds[0]["description"])
    assert countdown is not None, "the start message counts down to track 1"
    await t.skip_to(int(countdown.group(1)), "track 1's cue is due")
    [first] = t.party_posts()
    await t.click("Shane", first, "Track of the night")
    await t.click("Rose", first, "Track of the night")
    await t.run("Ilya", "/party now")
    await t.click("Ilya", first, "Next")
    await t.click("Mod", first, "Next")
    await t.bot.wait_idle()
    [second] = t.party_posts()
    await t.click("Shane", second, "Track of the night")
    await t.click("Shane", second, "Track of the night")
    await t.click("Ilya", second, "Track of the night")
    await t.click("Mod", second, "Next")
    await t.bot.wait_idle()
    t.party_posts()
    [thread] = t.guild.threads.values()
    t.say(f"  (Discord: the thread #{thread.name} is {'archived' if thread.archived else 'open'})\n")
    await t.run("Ilya", "/party now")


async def run_demo(catalogue: Catalogue, out: TextIO) -> None:
    """Run the tour against the real bot and write the transcript to `out`."""
    logging.getLogger().setLevel(logging.WARNING)  # the transcript is the output; only problems are logged
    token = fake_token()
    with tempfile.TemporaryDirectory(prefix="hr-demo-") as folder:
        async with FakeDiscord(token=token) as fd:
            async with emulated_bot(fd, token, Path(folder) / "demo.sqlite3", catalogue) as bot:
                fans = Tour(fd, bot, out)
                await tour(fans)
                await party(fans)
                await french_server(FrenchServer(fd, bot, out))
            if fd.violations:
                raise RuntimeError(f"the bot broke Discord's rules during the demo: {fd.violations}")
