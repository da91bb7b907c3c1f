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

Visibility is decided before the acknowledgement, because Discord keeps the defer's. Discord's documentation
(Receiving and Responding, "Create Followup Message"; the DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE response) says
the follow-up after such a defer edits its loading message: the follow-up's EPHEMERAL flag is ignored, and once
that message is deleted the follow-up fails with 10008 Unknown Message (discord-api-docs #2860, #2739, #3087).
The documentation can be read as "while it is still loading" or as "the first follow-up, always"; this module
is right under both. Hence:

1. a refusal that can be known without I/O is given before any defer, privately, as the initial response: a
   `@public` command names such a check with `@screened` (synchronous, so it cannot wait for anything; it may
   also decide that this answer is private, and the defer is then private);
2. a private answer that still comes after a public defer (a refusal only the database could tell, a fault)
   first fills the public placeholder with a neutral line (the first follow-up, which takes the placeholder's
   place under either reading), then follows up privately (a later follow-up, which keeps its own flags under
   either reading), then deletes the neutral line: the member reads the answer, and nothing personal ever
   reaches the channel.

The last guard on the way out: message content is clamped to `CONTENT_LIMIT` (Discord's 2,000 characters);
embeds are bounded by `bot.embeds.Card`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.i18n import N_, _, server_language, using
from bot.markup import CONTENT_LIMIT, clamp

PUBLIC = "hr:public"  # key in a command's and an interaction's `extras`: the answer is for the channel
INSTANT = "hr:instant"  # key in a command's `extras`: it answers at once, without acknowledging first
SCREEN = "hr:screen"  # key in a command's `extras`: its check before the acknowledgement (`screened`)
_ACK = "hr:ack"  # key in an interaction's `extras`: how it was acknowledged
_FILLED = "hr:filled"  # ... and whether the deferred placeholder has been answered

CommandT = TypeVar("CommandT", bound="app_commands.Command[Any, ..., Any]")
Screen = Callable[[Any, discord.Interaction[Any]], bool | None]
"""`(cog, interaction) -> private?`: raises a refusal, or says whether the answer is private (None: the command's
own visibility). Synchronous: it reads only what is in memory, so it cannot keep the member waiting."""
ANSWERED_PRIVATELY = N_("Only {member} can see my answer.")


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


def screened(check: Screen) -> Callable[[CommandT], CommandT]:
    """Give a command a check that runs before it is acknowledged (see the module docstring, rule 1).

    `check(cog, interaction)` reads the options from `interaction.namespace` (as typed, before any transformer)
    and only what is in memory; a refusal it raises is answered at once, privately, and the handler never runs.
    """

    def mark(command: CommandT) -> CommandT:
        command.extras[SCREEN] = check
        return command

    return mark


async def acknowledge_command(interaction: discord.Interaction[Any], command: object) -> None:
    """What the tree does before every command: screen it (`screened`), settle its visibility, and defer unless
    it is `@instant`. A refusal from the screen propagates, before anything was sent."""
    extras: dict[str, Any] = getattr(command, "extras", {})
    private = not extras.get(PUBLIC)
    screen: Screen | None = extras.get(SCREEN)
    if screen is not None:
        decided = screen(getattr(command, "binding", None), interaction)
        private = private if decided is None else decided
    interaction.extras[PUBLIC] = not private
    if not extras.get(INSTANT):
        await acknowledge(interaction, Ack.PRIVATE if private else Ack.PUBLIC)


async def acknowledge(interaction: discord.Interaction[Any], ack: Ack) -> None:
    """Send the first response now (a defer), unless `ack` is `Ack.NONE` or the interaction is answered."""
    if ack is Ack.NONE or interaction.response.is_done():
        return
    if ack is Ack.UPDATE:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=ack is Ack.PRIVATE, thinking=True)
    interaction.extras[_ACK] = ack


def stored_acknowledgement(interaction: discord.Interaction[Any], original: discord.Message) -> None:
    """Discord stored a defer whose answer was lost (see `bot.errors.after_stored_response`): `original` is its
    placeholder, and `reply` now answers through it as if this process had sent the defer itself."""
    interaction.extras[_ACK] = Ack.PRIVATE if original.flags.ephemeral else Ack.PUBLIC


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

    A public answer is only possible before a private acknowledgement (Discord keeps the defer's visibility); a
    private one after a public defer steps around the placeholder (the module docstring, rule 2).
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
    if not interaction.response.is_done() and _ACK not in interaction.extras:
        await interaction.response.send_message(**parts, ephemeral=private)
        return
    placeholder = ack in (Ack.PRIVATE, Ack.PUBLIC) and not interaction.extras.get(_FILLED)
    interaction.extras[_FILLED] = True
    if not (placeholder and ack is Ack.PUBLIC and private):
        await interaction.followup.send(**parts, ephemeral=private)
        return
    with using(server_language(interaction)):  # the channel reads the neutral line for a moment
        note = _(ANSWERED_PRIVATELY, member=interaction.user.mention)
    await interaction.followup.send(note)  # takes the public placeholder's place; the ephemeral flag would not
    await interaction.followup.send(**parts, ephemeral=True)
    with contextlib.suppress(discord.HTTPException):  # only tidying: the member has the answer
        await interaction.delete_original_response()


async def update(interaction: discord.Interaction[Any], **changes: Any) -> None:
    """Edit the component's own message (`content=`, `embed=`, `view=`; `view=None` removes the components)."""
    if isinstance(changes.get("content"), str):
        changes["content"] = clamp(changes["content"], CONTENT_LIMIT)
    if interaction.response.is_done():
        await interaction.edit_original_response(**changes)
    else:
        await interaction.response.edit_message(**changes)
