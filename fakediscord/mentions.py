"""Who a message actually notifies, computed from its content and ``allowed_mentions`` as Discord does.

Tests assert on this ("pinged exactly this role", "no @everyone ping"), so the rules follow Discord's docs:
an absent ``allowed_mentions`` parses everything; explicit id lists only whitelist mentions present in the
content; role pings need a mentionable role or MENTION_EVERYONE; @everyone/@here need MENTION_EVERYONE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .state import Guild

JSON = dict[str, Any]

USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)")


@dataclass
class MentionResult:
    users: list[JSON] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    everyone: bool = False


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def compute_mentions(
    content: str,
    allowed: JSON | None,
    *,
    guild: Guild | None,
    can_mention_everyone: bool,
    replied_user_id: str | None = None,
) -> MentionResult:
    """Resolve the notifications for ``content``; ``allowed`` is the already-validated allowed_mentions."""
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        allowed_users: set[str] = set()
        allowed_roles: set[str] = set()
        replied_user = True
    else:
        parse = set(allowed.get("parse") or [])
        allowed_users = {str(u) for u in allowed.get("users") or []}
        allowed_roles = {str(r) for r in allowed.get("roles") or []}
        replied_user = bool(allowed.get("replied_user", False))

    result = MentionResult()
    user_ids = [u for u in _dedupe(USER_MENTION.findall(content)) if "users" in parse or u in allowed_users]
    if replied_user_id is not None and replied_user and replied_user_id not in user_ids:
        user_ids.append(replied_user_id)
    if guild is not None:
        for uid in user_ids:
            member = guild.members.get(uid)
            if member is None:
                continue
            data = member.user.to_json()
            member_json = member.to_json()
            del member_json["user"]
            data["member"] = member_json
            result.users.append(data)

        for rid in _dedupe(ROLE_MENTION.findall(content)):
            role = guild.roles.get(rid)
            if role is None or rid == guild.id:
                continue
            if "roles" not in parse and rid not in allowed_roles:
                continue
            if role.mentionable or can_mention_everyone:
                result.role_ids.append(rid)

    result.everyone = bool(EVERYONE_MENTION.search(content)) and "everyone" in parse and can_mention_everyone
    return result
