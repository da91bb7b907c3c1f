"""Discord's permissions named as a member's Discord names them: "Manage Server", never `manage_guild`.

discord.py names a permission by its attribute (`manage_guild`); a sentence built from that would be English in
every language, and not even Discord's English. The names here are Discord's own (Server Settings → Roles →
Permissions), marked for the catalogues, so each language can use its Discord's wording.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import N_, _

NAMES = {
    "administrator": N_("Administrator"),
    "ban_members": N_("Ban Members"),
    "create_events": N_("Create Events"),
    "embed_links": N_("Embed Links"),
    "kick_members": N_("Kick Members"),
    "manage_channels": N_("Manage Channels"),
    "manage_events": N_("Manage Events"),
    "manage_expressions": N_("Manage Expressions"),
    "manage_guild": N_("Manage Server"),
    "manage_messages": N_("Manage Messages"),
    "manage_roles": N_("Manage Roles"),
    "manage_threads": N_("Manage Threads"),
    "manage_webhooks": N_("Manage Webhooks"),
    "mention_everyone": N_("Mention @everyone, @here, and All Roles"),
    "moderate_members": N_("Timeout Members"),
    "read_message_history": N_("Read Message History"),
    "send_messages": N_("Send Messages"),
    "view_channel": N_("View Channels"),
}


def permission_names(names: Iterable[str]) -> list[str]:
    """Each permission as the current reader's Discord names it; one this table lacks as its attribute, in code
    format (an identifier, not words in some language)."""
    return [_(NAMES[name]) if name in NAMES else f"`{name}`" for name in names]
