"""Fans opt in to release pings themselves: `/releases notify` and the **Notify me** button toggle the server's
reminder role on whoever uses them, and never touch any other role.

Discord's rules (Permissions: "Permission Hierarchy"): giving or taking a role needs Manage Roles, and the
role must sit below the bot's highest role; a role managed by an integration can be given to no one.
`role_problem` checks them before Discord is asked, so the member is told why, and `/reminders status`
shows moderators the same sentence. Answers are in the member's language; the reason written to the audit log,
which the server's moderators read, in the server's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.context import guild_of
from bot.errors import UNKNOWN_ROLE, UserError
from bot.i18n import N_, _, current, server_language, using
from bot.permissions import permission_names

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot
    from cogs.reminders.service import Reminders

NO_ROLE = N_(
    "This server has no reminder role to opt into yet. A moderator can choose one with `/reminders role`; "
    "then this button (or `/releases notify`) gives it to you."
)
ROLE_DELETED = N_("The reminder role was deleted. A moderator can choose another with `/reminders role`.")
AUDIT_ON = N_("Asked for release pings (/releases notify)")
AUDIT_OFF = N_("Asked to stop release pings (/releases notify)")


def role_problem(guild: discord.Guild, role: discord.Role) -> str | None:
    """Why the bot cannot, or must not, give `role` to members, in a sentence (in the current language), or None
    when it can.

    A role with a moderator's powers (`discord.Permissions.elevated`: those Discord asks two-factor
    authentication for, Administrator included) or Mention Everyone is never handed to whoever asks.
    """
    me = guild.me
    powers = role.permissions.value & (
        discord.Permissions.elevated().value | discord.Permissions(mention_everyone=True).value
    )
    if powers:
        names = current().join(permission_names(name for name, on in discord.Permissions(powers) if on))
        return _(
            "{role} carries moderator permissions ({permissions}), and I never hand those to whoever asks: give "
            "pings a role of their own with no permissions",
            role=role.mention,
            permissions=names,
        )
    if role.managed:
        return _("{role} is managed by an integration, so no one can be given it", role=role.mention)
    if not me.guild_permissions.manage_roles:
        return _("I lack the Manage Roles permission")
    if role >= me.top_role:
        return _(
            "{role} is not below my highest role ({mine}): in Server Settings → Roles, drag my role above it",
            role=role.mention,
            mine=me.top_role.mention,
        )
    return None


async def toggle_notify(service: Reminders, interaction: discord.Interaction[HeatedRivalryBot]) -> str:
    """Give the member the server's reminder role, or take it away if they have it; returns what to tell them.

    Raises `UserError` when there is no role, it is gone, the bot may not hand it out, or Discord refuses.
    """
    guild = guild_of(interaction)
    member = interaction.user
    if not isinstance(member, discord.Member):
        member = await guild.fetch_member(member.id)
    config = await service.store.config(guild.id)
    if config.role_id is None:
        raise UserError(_(NO_ROLE))
    role = guild.get_role(config.role_id)
    if role is None:
        raise UserError(_(ROLE_DELETED))
    problem = role_problem(guild, role)
    if problem is not None:
        raise UserError(
            _(
                "I can't change {role} for you: {problem}. A moderator can fix it; `/reminders status` shows it.",
                role=role.mention,
                problem=problem,
            )
        )
    having = member.get_role(role.id) is not None
    with using(server_language(guild)):  # the audit log is the moderators'
        audit = _(AUDIT_OFF if having else AUDIT_ON)
    try:
        if having:
            await member.remove_roles(role, reason=audit)
        else:
            await member.add_roles(role, reason=audit)
    except discord.NotFound as error:
        if error.code != UNKNOWN_ROLE:
            raise
        raise UserError(_(ROLE_DELETED)) from error  # deleted after the bot last heard of it
    except discord.Forbidden as error:
        raise UserError(
            _(
                "Discord refused to change {role} for you ({reason}). A moderator can check my role's position and "
                "permissions; `/reminders status` shows what I see.",
                role=role.mention,
                reason=error.text or "Missing Permissions",
            )
        ) from error
    if having:
        return _(
            "Done: you no longer have {role}, so release reminders won't ping you. Use it again to opt back in.",
            role=role.mention,
        )
    return _("Done: you now have {role}, so release reminders will ping you. Use it again to stop.", role=role.mention)
