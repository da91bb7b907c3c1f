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
"""

from .client import Member, Mentions, Pick, Reply, pick
from .commands import CommandNotAvailable
from .core import FakeDiscord, application_id_from_token, make_token
from .errors import APIError
from .faults import Fault, FaultInjector
from .limits import Violation
from .rest import RecordedRequest
from .snowflake import Clock
from .state import Channel, Guild, Message, Role, StoredFile, User

__all__ = [
    "APIError",
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
    "StoredFile",
    "User",
    "Violation",
    "application_id_from_token",
    "make_token",
    "pick",
]
