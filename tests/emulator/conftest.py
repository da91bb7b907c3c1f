"""A minimal plain discord.py bot running against FakeDiscord (not the project's bot)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from fakediscord import Channel, FakeDiscord, Guild, Member, make_token
from fakediscord.interactions import RESPONSE_DEADLINE, FollowupRule

APP_ID = "1187654321098765432"
TOKEN = make_token(APP_ID)
SLOW_STEP_S = 0.5
"""Longer than the fixture's quiet period (0.1 s): a step this late is only seen if the emulator waits for it."""
TRACKS = ["rivalry", "rival hearts", "river song", "heated", "overtime", "final whistle"]


class PanelView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Next", custom_id="panel:next", style=discord.ButtonStyle.primary)
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.edit_message(content="page 2", view=None)

    @discord.ui.select(custom_id="panel:pick", options=[discord.SelectOption(label=t, value=t) for t in TRACKS[:3]])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[PanelView]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)

    @discord.ui.button(label="Later", custom_id="panel:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        """Acknowledges with DEFERRED_UPDATE_MESSAGE and edits the message well after the quiet period."""
        await interaction.response.defer()
        await asyncio.sleep(SLOW_STEP_S)
        await interaction.edit_original_response(content="page 3", view=None)

    @discord.ui.button(label="Confirm", custom_id="panel:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        """Updates the message, then confirms privately well after the quiet period (a ballot's shape)."""
        await interaction.response.edit_message(content="confirming", view=None)
        await asyncio.sleep(SLOW_STEP_S)
        await interaction.followup.send("confirmed", ephemeral=True)

    @discord.ui.button(label="Ask", custom_id="panel:ask")
    async def ask(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.send_modal(AskModal())


class AskModal(discord.ui.Modal, title="Favourite track"):
    answer: discord.ui.TextInput[AskModal] = discord.ui.TextInput(label="Track", custom_id="ask:answer")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you said {self.answer.value}")


soundtrack = app_commands.Group(name="soundtrack", description="Soundtrack facts")


@soundtrack.command(name="track", description="Look up a track")
@app_commands.describe(track="Track name")
async def track_cmd(interaction: discord.Interaction, track: str, private: bool = False) -> None:
    await interaction.response.send_message(f"Track: {track}", ephemeral=private)


@track_cmd.autocomplete("track")
async def track_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    if current == "many":
        return [app_commands.Choice(name=f"track {i}", value=f"t{i}") for i in range(26)]
    return [app_commands.Choice(name=t, value=t) for t in TRACKS if current.lower()[:3] in t]


@app_commands.command(name="panel", description="A panel with a button")
async def panel_cmd(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("page 1", view=PanelView())


@app_commands.command(name="slow", description="Defers, then answers")
async def slow_cmd(interaction: discord.Interaction, count: int = 1) -> None:
    await interaction.response.defer(thinking=True)
    await asyncio.sleep(0.2)
    await interaction.edit_original_response(content=f"done x{count}")
    if count > 1:
        await interaction.followup.send("extra", ephemeral=True)


@app_commands.command(name="silent", description="Never answers")
async def silent_cmd(interaction: discord.Interaction) -> None:
    return


@app_commands.command(name="bigfield", description="Sends an embed whose field is too long")
async def bigfield_cmd(interaction: discord.Interaction) -> None:
    embed = discord.Embed(title="Too long").add_field(name="lyrics", value="x" * 1025)
    await interaction.response.send_message(embed=embed)


@app_commands.command(name="post", description="Posts to a channel")
async def post_cmd(interaction: discord.Interaction, where: discord.TextChannel, text: str) -> None:
    await where.send(text)
    await interaction.response.send_message(f"posted in {where.mention}", ephemeral=True)


@app_commands.command(name="here", description="Says where it was used")
async def here_cmd(interaction: discord.Interaction, private: bool = False) -> None:
    """Answers with the kind of channel discord.py resolved and the interaction's `channel_id`."""
    kind = type(interaction.channel).__name__
    await interaction.response.send_message(f"{kind} {interaction.channel_id}", ephemeral=private)


STEPS: list[str] = []  # what `/steps` did, step by step: "<step>: ok" or "<step>: <Discord's error code>"


@app_commands.command(name="steps", description="Runs interaction calls in order, noting what Discord answered")
async def steps_cmd(interaction: discord.Interaction, script: str) -> None:
    """`script`: space-separated steps among `defer`, `defer-private`, `edit` (PATCH @original), `delete` (DELETE
    @original), `followup-public`, `followup-private`; each one's outcome goes to `STEPS`."""
    for step in script.split():
        try:
            if step.startswith("defer"):
                await interaction.response.defer(thinking=True, ephemeral=step == "defer-private")
            elif step == "edit":
                await interaction.edit_original_response(content="edited")
            elif step == "delete":
                await interaction.delete_original_response()
            else:
                await interaction.followup.send(step, ephemeral=step == "followup-private")
            STEPS.append(f"{step}: ok")
        except discord.HTTPException as error:
            STEPS.append(f"{step}: {error.code}")


class EmuBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.guild_id = guild_id
        self.ready_event = asyncio.Event()
        self.resumed_count = 0

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return  # skip discord.py's 5 s sleep before a re-IDENTIFY

    async def setup_hook(self) -> None:
        commands: tuple[app_commands.Command[Any, Any, Any] | app_commands.Group, ...] = (
            soundtrack, panel_cmd, slow_cmd, silent_cmd, bigfield_cmd, steps_cmd,
        )  # fmt: skip
        for cmd in commands:
            self.tree.add_command(cmd)
        guild = discord.Object(self.guild_id)
        self.tree.add_command(post_cmd, guild=guild)
        self.tree.add_command(here_cmd, guild=guild)
        await self.tree.sync()
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        self.ready_event.set()

    async def on_resumed(self) -> None:
        self.resumed_count += 1


@dataclass
class Env:
    fd: FakeDiscord
    bot: EmuBot
    guild: Guild
    chan: Channel
    fan: Member


SHORT_DEADLINE_S = 0.5


@pytest.fixture
async def fd(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """The emulator; a test marked `short_deadline` that waits out the answer deadline waits 0.5 s, not 3 s, and
    one marked `followup_rule(reading)` gets that reading of Discord's follow-up rule."""
    short = request.node.get_closest_marker("short_deadline") is not None
    deadline = SHORT_DEADLINE_S if short else RESPONSE_DEADLINE
    rule = request.node.get_closest_marker("followup_rule")
    reading: FollowupRule = rule.args[0] if rule is not None else "while-loading"
    async with FakeDiscord(token=TOKEN, settle=0.1, response_deadline=deadline, followup_rule=reading) as emulator:
        emulator.gateway.identify_interval = None  # the clients here skip discord.py's 5 s between IDENTIFYs
        STEPS.clear()
        yield emulator


@pytest.fixture
async def env(fd: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Env]:
    monkeypatch.setattr(discord.http.Route, "BASE", fd.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fd.gateway_url))
    guild = fd.add_guild("Rivalry Fans")
    chan = guild.add_text_channel("announcements")
    fan = guild.add_member("Shane")
    bot = EmuBot(int(guild.id))
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await fd.wait_until_ready()
        yield Env(fd, bot, guild, chan, fan)
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
