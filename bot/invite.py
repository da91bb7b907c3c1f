"""The one invite link: `python -m bot check` prints it, and a server that has only the commands is sent it."""

from __future__ import annotations

import discord

# What the features need and nothing more: see the channel, post embeds and the standings chart, read back
# the bot's own recent posts (a reminder interrupted by a crash is looked for before it is posted again),
# create and keep the releases' native events (`/reminders events`), open a listening party's thread on its
# start message and post its cues there (`/party-admin schedule`), and hand out the one reminder role fans opt
# into (`/releases notify`; a server may untick Manage Roles in the invite dialog and do without).
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True, read_message_history=True,
    create_events=True, create_public_threads=True, send_messages_in_threads=True, manage_roles=True,
)  # fmt: skip


def invite_url(application_id: int) -> str:
    """The OAuth2 link adding the bot with `BOT_PERMISSIONS` and the `bot` and `applications.commands` scopes."""
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=("bot", "applications.commands"))
