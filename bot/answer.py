"""The one way an interaction is answered: acknowledged first, then answered, always within Discord's limits.

Discord gives an interaction 3 seconds for its first response, and a handler that posts to a channel or waits
for the database can take longer (a 429 with a 3.2 s retry, a slow answer): the member would see "This
interaction failed" although the work went through, and a retry would do it twice. So:

- every slash command is acknowledged by the tree (`BotTree.interaction_check`) before its handler runs,
  with `defer(thinking=True)`: private, unless the command is marked `@public`; only a command marked
  `@instant` (it neither waits for the database nor calls Discord) answers at once by itself;
- every component is acknowledged by `bot.errors.guarded` according to its `Ack` before its action runs;
- handlers then answer with `reply` (a message) or `update` (the component's own message), which take
  whichever route is still open: the initial response, the deferred placeholder, or a follow-up.

Visibility: Discord gives the first follow-up after a defer the defer's visibility. A private answer to a
publicly deferred command (a refusal, standings a moderator may see early) first deletes the public
"thinking…" placeholder and then follows up privately, so nothing personal ever reaches the channel.

The last guard on the way out: message content is clamped to `CONTENT_LIMIT` (Discord's 2,000 characters);
embeds are bounded by `bot.embeds.Card`.
"""

from __future__ import annotations

import contextlib
from enum import Enum
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.markup import CONTENT_LIMIT, clamp

PUBLIC = "hr:public"  # key in a command's and an interaction's `extras`: the answer is for the channel
INSTANT = "hr:instant"  # key in a command's `extras`: it answers at once, without acknowledging first
_ACK = "hr:ack"  # key in an interaction's `extras`: how it was acknowledged
_FILLED = "hr:filled"  # ... and whether the deferred placeholder has been answered

CommandT = TypeVar("CommandT", bound="app_commands.Command[Any, ..., Any]")


class Ack(Enum):
    """How an interaction is acknowledged before its handler does anything slow."""

    NONE = "none"  # the handler answers at once itself (it neither waits for the database nor calls Discord)
    PRIVATE = "private"  # "thinking…" only the member sees; the answer replaces it
    PUBLIC = "public"  # "thinking…" in the channel; the answer replaces it
    UPDATE = "update"  # a component that edits its own message: nothing shows until `update`


def public(command: CommandT) -> CommandT:
    """Mark a slash command whose answer the whole channel sees (deferred publicly); the default is private."""
    command.extras[PUBLIC] = True
    return command


def instant(command: CommandT) -> CommandT:
    """Mark a slash command that answers at once (pure: no database, no Discord call), so it is not deferred."""
    command.extras[INSTANT] = True
    return command


async def acknowledge_command(interaction: discord.Interaction[Any], command: object) -> None:
    """What the tree does before every command: remember its visibility, and defer unless it is `@instant`."""
    extras: dict[str, Any] = getattr(command, "extras", {})
    interaction.extras[PUBLIC] = bool(extras.get(PUBLIC))
    if not extras.get(INSTANT):
        await acknowledge(interaction, Ack.PUBLIC if extras.get(PUBLIC) else Ack.PRIVATE)


async def acknowledge(interaction: discord.Interaction[Any], ack: Ack) -> None:
    """Send the first response now (a defer), unless `ack` is `Ack.NONE` or the interaction is answered."""
    if ack is Ack.NONE or interaction.response.is_done():
        return
    if ack is Ack.UPDATE:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=ack is Ack.PRIVATE, thinking=True)
    interaction.extras[_ACK] = ack


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    ephemeral: bool | None = None,
) -> None:
    """Answer with a message, by the route still open; `ephemeral=None` means the command's own visibility
    (private unless `@public`; components: private).

    A public answer is only possible before a private acknowledgement (Discord keeps the defer's visibility).
    """
    ack = interaction.extras.get(_ACK, Ack.NONE)
    private = not interaction.extras.get(PUBLIC, False) if ephemeral is None else ephemeral
    parts: dict[str, Any] = {"content": None if content is None else clamp(content, CONTENT_LIMIT)}
    if embed is not None:
        parts["embed"] = embed
    if view is not None:
        parts["view"] = view
    if file is not None:
        parts["file"] = file
    if not interaction.response.is_done():
        await interaction.response.send_message(**parts, ephemeral=private)
        return
    placeholder = ack in (Ack.PRIVATE, Ack.PUBLIC) and not interaction.extras.get(_FILLED)
    interaction.extras[_FILLED] = True
    if placeholder and ack is Ack.PUBLIC and private:
        with contextlib.suppress(discord.NotFound):
            await interaction.delete_original_response()
    await interaction.followup.send(**parts, ephemeral=private)


async def update(interaction: discord.Interaction[Any], **changes: Any) -> None:
    """Edit the component's own message (`content=`, `embed=`, `view=`; `view=None` removes the components)."""
    if isinstance(changes.get("content"), str):
        changes["content"] = clamp(changes["content"], CONTENT_LIMIT)
    if interaction.response.is_done():
        await interaction.edit_original_response(**changes)
    else:
        await interaction.response.edit_message(**changes)
