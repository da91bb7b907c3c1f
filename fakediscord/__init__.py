"""fakediscord: a loopback Discord (REST + gateway) that an unmodified discord.py 2.7 bot can log in to.

Typical use::

    async with FakeDiscord(token=TOKEN) as fd:       # token's first part = base64(application id)
        discord.http.Route.BASE = fd.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fd.gateway_url)
        guild = fd.add_guild("Rivalry Fans")          # + guild.system_channel, add_text_channel, add_role
        fan = guild.add_member("Shane")               # a test client (``Member``)
        ...start the bot...
        await fd.wait_until_ready()                   # READY + every GUILD_CREATE processed by the client
        reply = await fan.run("/soundtrack track", track="rivl")         # sends the typed text
        reply = await fan.run("/soundtrack track", track=pick("rivl"))   # selects the first suggestion
        turned = await fan.click(reply, "Next")       # also fan.select(...), fan.submit_modal(...)

Inspection: ``fd.requests``, ``fd.violations`` (limit/OpenAPI breaches, each answered 400 50035),
``fd.channel_messages(chan)``, ``fd.commands(guild)``. Faults: ``fd.faults.add(method, path, kind=...)`` with
kinds 429 / 5xx / commit_then_502 / delay / 403 / 404. Gateway controls: ``fd.gateway.send_reconnect()``,
``invalidate_session(resumable)``, ``close(code)``, ``drop()``, ``dispatch(t, d)``, ``sync()``,
``wait_for(predicate)``; each control works with or without ``await``. ``fd.clock.advance(s)`` moves the
emulator's time (token expiry, nonce window).

Also served with Discord's rules: scheduled events (``guild.scheduled_events``; moderators act by hand with
``guild.add_scheduled_event`` / ``edit_scheduled_event`` / ``delete_scheduled_event``; external events start and end
on time with ``guild.run_event_automation()``; at most 100 scheduled or active, else 30038), member role add/remove
(``member.roles``; the bot may only grant roles below its own, ``add_role(..., position=0)`` puts one there;
``guild.audit_log`` keeps ``X-Audit-Log-Reason``), locales (``add_member(..., locale="fr")``,
``add_guild(..., preferred_locale="fr")``, ``*_localizations`` checked on command registration, members may type
localised names) and uploads (``message.files``: ``StoredFile`` with filename, bytes, content type, description;
over ``fd.interactions.attachment_size_limit`` is 413 40005).

Sharding (Discord docs, Gateway › Sharding): IDENTIFY's ``shard: [id, count]`` makes one session per shard; a guild
and its events (INTERACTION_CREATE included) belong to shard ``(guild_id >> 22) % count``, guild-less events to
shard 0; a session over 2,500 guilds is closed with 4011, a bad ``shard`` with 4010. ``GET /gateway/bot``'s
``shards`` is ``FakeDiscord(shards=N)`` or one per 1,000 guilds (``fd.recommended_shards``). Every gateway control
takes ``shard_id=`` (default: the newest session); ``fd.gateway.shards``, ``identify_counts``, ``resume_counts``
and ``closed_with`` inspect them, and ``fd.wait_until_ready()`` waits for every shard. Global rate limit (Rate
Limits › Global Rate Limit): ``FakeDiscord(global_rate=50)`` refuses requests over 50 per sliding second with a
global 429 (``retry_after``, ``X-RateLimit-Global``/``-Scope``), interaction endpoints exempt, counted in
``fd.global_429s``; off by default. Embed URLs (url, author url/icon, footer icon, image, thumbnail) must be
well-formed http(s) URLs with a dotted, non-localhost host (media may also be ``attachment://``), else 400 50035 and
a ``fd.violations`` entry. ``fd.add_guild(name, bot_member=False)`` is a guild with the app's commands but no bot
user: commands are delivered (the guild is not in the bot's cache, ``app_permissions`` is @everyone's limited to
what interaction responses use), nothing else is, REST there is 403 50001, and ``click``/``select`` there raise.
``member.click(message, label, dm=True)`` clicks a copy of the message in a DM with the bot (no guild in the
interaction); ``guild.delete_role(role)`` deletes a role (GUILD_ROLE_DELETE; a mention of it then notifies nobody).

Threads (Threads topic; Channel resource): the bot starts them from a message (the thread takes its id, the message
gets ``thread``, a THREAD_STARTER_MESSAGE opens the thread) or without one (public or private), edits them
(``archived``, ``locked``, ``auto_archive_duration``, ``name``) and lists the active ones, under Discord's rules
(name 1-100, durations 60/1440/4320/10080, CREATE_PUBLIC_THREADS / CREATE_PRIVATE_THREADS to start one,
SEND_MESSAGES_IN_THREADS to post, 160004, 50024, 50083 "Thread is archived", 160005 "Thread is locked"); a post in
an archived thread unarchives it unless it is locked. A ``Thread`` is a ``Channel``: ``channel.threads``,
``guild.threads``, ``fd.channel_messages(thread)``, ``member.send(text, channel=thread)``, ``member.run(...,
channel=thread)`` and ``member.click`` on a message in a thread all work. Moderators act by hand with
``guild.edit_thread(thread, by=mod, archived=True, locked=True)`` and ``guild.delete_thread(thread, by=mod)``;
``thread.join(member)`` adds a member; ``guild.run_thread_automation()`` archives threads idle for their
``auto_archive_duration`` on the emulator clock. The bot gets THREAD_CREATE/UPDATE/DELETE, THREAD_LIST_SYNC,
THREAD_MEMBER_UPDATE and THREAD_MEMBERS_UPDATE (about others only with GUILD_MEMBERS) for threads it can view,
and GUILD_CREATE lists the active ones.
"""

from .client import Member, Mentions, Pick, Reply, pick
from .commands import CommandNotAvailable
from .core import FakeDiscord, application_id_from_token, make_token
from .errors import APIError
from .faults import Fault, FaultInjector
from .limits import Violation
from .locales import LOCALES
from .rest import RecordedRequest
from .snowflake import Clock
from .state import (
    AuditLogEntry,
    Channel,
    Guild,
    Message,
    Role,
    ScheduledEvent,
    StoredFile,
    Thread,
    ThreadMember,
    User,
)

__all__ = [
    "LOCALES",
    "APIError",
    "AuditLogEntry",
    "Channel",
    "Clock",
    "CommandNotAvailable",
    "FakeDiscord",
    "Fault",
    "FaultInjector",
    "Guild",
    "Member",
    "Mentions",
    "Message",
    "Pick",
    "RecordedRequest",
    "Reply",
    "Role",
    "ScheduledEvent",
    "StoredFile",
    "Thread",
    "ThreadMember",
    "User",
    "Violation",
    "application_id_from_token",
    "make_token",
    "pick",
]
