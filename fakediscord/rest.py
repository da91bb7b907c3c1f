"""The REST half of the emulator: an aiohttp app serving ``/api/v10`` the way discord.py 2.7 expects.

Every request passes one middleware that records it (``FakeDiscord.requests``), checks the bot token (except on
the token-authenticated ``/interactions`` and ``/webhooks`` routes), applies injected faults, turns ``APIError``
into Discord's JSON error body and adds rate-limit headers. All JSON replies carry ``Content-Type:
application/json`` exactly, because discord.py compares the header verbatim.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import errors
from . import permissions as perms
from .faults import Fault
from .interactions import InteractionRecord
from .limits import Violation, check_callback, check_commands, check_message, check_thread, error_tree
from .messages import REPLY, apply_edit, build_message
from .state import (
    EVENT_ACTIVE,
    EVENT_EXTERNAL,
    EVENT_SCHEDULED,
    EVENT_STAGE_INSTANCE,
    EVENT_TRANSITIONS,
    EVENT_VOICE,
    GUILD_SCHEDULED_EVENT_CREATE,
    GUILD_SCHEDULED_EVENT_DELETE,
    GUILD_SCHEDULED_EVENT_UPDATE,
    MAX_ACTIVE_THREADS,
    MEMBER_ROLE_UPDATE,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    STAGE_CHANNEL,
    TEXT_CHANNEL,
    THREAD_CREATE,
    THREAD_UPDATE,
    VOICE_CHANNEL,
    AuditLogEntry,
    Channel,
    Guild,
    GuildMember,
    Message,
    Role,
    ScheduledEvent,
    StoredFile,
    Thread,
    World,
    image_hash,
    iso_utc,
)
from .threads import start_thread

if TYPE_CHECKING:
    from .core import FakeDiscord

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger(__name__)

API = "/api/v10"
MAX_OPEN_EVENTS = 100
"""Discord docs, Create Guild Scheduled Event: "A guild can have a maximum of 100 events with SCHEDULED or ACTIVE
status at any time"; beyond, JSON error code 30038 "Maximum number of uncompleted guild scheduled events reached (100)"
(Opcodes and Status Codes). A completed, cancelled or deleted event frees its place."""
UNAUTHENTICATED_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass
class RecordedRequest:
    """One REST call as the emulator saw it (``FakeDiscord.requests``)."""

    method: str
    path: str
    """Path relative to ``/api/v10``, e.g. ``/channels/123/messages``."""
    route: str
    """The matched route template, e.g. ``/channels/{channel_id}/messages`` (the path if no route matched)."""
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)
    json: Any = None
    """The JSON body (or the ``payload_json`` part of a multipart body); None when there was none."""
    files: list[StoredFile] = field(default_factory=list, repr=False)
    status: int | None = None
    fault: str | None = None
    """The injected fault kind that shaped the answer, if any."""
    response: Any = field(default=None, repr=False)
    """The JSON the emulator answered with (None for empty answers)."""
    received: float = 0.0
    """When it arrived, on the event loop's clock: the clock Discord's global rate limit counts on here."""


RECORD_KEY = web.RequestKey("fakediscord_record", RecordedRequest)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON reply with exactly ``Content-Type: application/json`` (discord.py compares it verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def _bucket(route: str, method: str) -> str:
    return hashlib.sha1(f"{method} {route}".encode()).hexdigest()[:16]


def _server_error(status: int) -> web.Response:
    """Discord's answer when it (or the proxy in front of it) fails: ``{"message": "503: Service Unavailable"}``."""
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return json_response({"message": f"{status}: {reason.get(status, 'Server Error')}", "code": 0}, status)


def _ratelimit_headers(route: str, method: str, *, remaining: int = 49, reset_after: float = 1.0) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": _bucket(route, method),
    }


async def read_body(request: web.Request) -> tuple[Any, list[StoredFile], str | None]:
    """Parse a JSON or multipart body; returns (json, files, problem)."""
    if not request.body_exists:
        return None, [], None
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        payload: Any = None
        files: list[StoredFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                try:
                    payload = json.loads(await part.text())
                except ValueError:
                    return None, [], "payload_json is not valid JSON"
            elif part.name is not None and part.name.startswith("files["):
                data = await part.read(decode=False)
                index = part.name[len("files[") :].rstrip("]")
                files.append(
                    StoredFile.from_upload(
                        part.filename or part.name,
                        bytes(data),
                        part.headers.get("Content-Type"),
                        int(index) if index.isdigit() else None,
                    )
                )
        return payload, files, None
    raw = await request.read()
    if not raw:
        return None, [], None
    try:
        return json.loads(raw), [], None
    except ValueError:
        return None, [], "the body is not valid JSON"


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _without_localizations(node: JSON, locale: str | None) -> JSON:
    """A command (or option, or choice) as listed without ``with_localizations``."""
    out = {k: v for k, v in node.items() if k not in ("name_localizations", "description_localizations")}
    if locale is not None:
        for field_name in ("name", "description"):
            mapping = node.get(f"{field_name}_localizations")
            if isinstance(mapping, dict) and locale in mapping:
                out[f"{field_name}_localized"] = mapping[locale]
    for key in ("options", "choices"):
        if isinstance(node.get(key), list):
            out[key] = [_without_localizations(x, locale) if isinstance(x, dict) else x for x in node[key]]
    return out


class RestApi:
    """Route handlers; ``self.fd`` is the owning ``FakeDiscord``."""

    def __init__(self, fd: FakeDiscord) -> None:
        self.fd = fd

    @property
    def world(self) -> World:
        return self.fd.world

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware], client_max_size=64 * 1024 * 1024)
        gw = self.fd.gateway.handle
        for path in ("/gateway", "/gateway/resume", "/", "/resume"):
            app.router.add_get(path, gw)
        r = app.router
        a = API
        r.add_get(a + "/users/@me", self.get_me)
        r.add_get(a + "/users/{user_id}", self.get_user)
        r.add_get(a + "/oauth2/applications/@me", self.get_application)
        r.add_get(a + "/applications/@me", self.get_application)
        r.add_get(a + "/gateway", self.get_gateway)
        r.add_get(a + "/gateway/bot", self.get_gateway_bot)
        for base in (
            "/applications/{application_id}/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ):
            r.add_get(a + base, self.list_commands)
            r.add_put(a + base, self.put_commands)
            r.add_post(a + base, self.post_command)
            r.add_get(a + base + "/{command_id}", self.get_command)
            r.add_patch(a + base + "/{command_id}", self.patch_command)
            r.add_delete(a + base + "/{command_id}", self.delete_command)
        r.add_post(a + "/interactions/{interaction_id}/{interaction_token}/callback", self.callback)
        r.add_post(a + "/webhooks/{webhook_id}/{webhook_token}", self.followup)
        wm = a + "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        r.add_get(wm, self.get_webhook_message)
        r.add_patch(wm, self.edit_webhook_message)
        r.add_delete(wm, self.delete_webhook_message)
        r.add_get(a + "/channels/{channel_id}", self.get_channel)
        r.add_patch(a + "/channels/{channel_id}", self.edit_channel)
        r.add_post(a + "/channels/{channel_id}/threads", self.start_thread_without_message)
        r.add_post(a + "/channels/{channel_id}/messages/{message_id}/threads", self.start_thread_from_message)
        r.add_get(a + "/guilds/{guild_id}/threads/active", self.list_active_threads)
        r.add_get(a + "/channels/{channel_id}/messages", self.list_messages)
        r.add_post(a + "/channels/{channel_id}/messages", self.create_message)
        r.add_get(a + "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r.add_patch(a + "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        r.add_delete(a + "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        reaction = a + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        r.add_put(reaction, self.add_reaction)
        r.add_delete(reaction, self.remove_reaction)
        r.add_post(a + "/channels/{channel_id}/typing", self.typing)
        r.add_get(a + "/guilds/{guild_id}", self.get_guild)
        r.add_get(a + "/guilds/{guild_id}/channels", self.get_guild_channels)
        r.add_get(a + "/guilds/{guild_id}/roles", self.get_roles)
        r.add_get(a + "/guilds/{guild_id}/roles/{role_id}", self.get_role)
        r.add_get(a + "/guilds/{guild_id}/members", self.list_members)
        r.add_get(a + "/guilds/{guild_id}/members/{user_id}", self.get_member)
        member_role = a + "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        r.add_put(member_role, self.add_member_role)
        r.add_delete(member_role, self.remove_member_role)
        ev = a + "/guilds/{guild_id}/scheduled-events"
        r.add_get(ev, self.list_events)
        r.add_post(ev, self.create_event)
        r.add_get(ev + "/{guild_scheduled_event_id}", self.get_event)
        r.add_patch(ev + "/{guild_scheduled_event_id}", self.edit_event)
        r.add_delete(ev + "/{guild_scheduled_event_id}", self.delete_event)
        return app

    # -- middleware -------------------------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API + "/"):
            if request.match_info.http_exception is not None:
                return json_response({"message": "404: Not Found", "code": 0}, 404)
            return await handler(request)
        fd = self.fd
        received = asyncio.get_running_loop().time()
        rel = request.path[len(API) :]
        resource = request.match_info.route.resource
        route = resource.canonical[len(API) :] if resource is not None else rel
        body, files, problem = await read_body(request)
        rec = RecordedRequest(
            method=request.method,
            path=rel,
            route=route,
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
            received=received,
        )
        request[RECORD_KEY] = rec
        fd.requests.append(rec)
        response = await self._answer(request, handler, rec, problem)
        rec.status = response.status
        if isinstance(response, web.Response) and response.body is not None and response.status != 204:
            with contextlib.suppress(ValueError, TypeError):
                rec.response = json.loads(bytes(response.body))  # type: ignore[arg-type]
        if response.status != 429 and not rel.startswith(UNAUTHENTICATED_PREFIXES):
            for key, value in _ratelimit_headers(route, request.method).items():
                response.headers.setdefault(key, value)
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, rec: RecordedRequest, problem: str | None
    ) -> web.StreamResponse:
        fd = self.fd
        global_limit = fd.global_rate_limit
        # Interaction endpoints (callback, @original, followups) are exempt from the global limit (Rate Limits doc).
        if global_limit is not None and not rec.path.startswith(UNAUTHENTICATED_PREFIXES):
            retry_after = global_limit.hit(rec.received)
            if retry_after is not None:
                fd.global_429s += 1
                return self._global_429(retry_after)
        authorized = request.headers.get("Authorization") == f"Bot {fd.token}"
        if not authorized and not rec.path.startswith(UNAUTHENTICATED_PREFIXES):
            return self._error(errors.unauthorized())
        fault = fd.faults.take(request.method, rec.path)
        if fault is not None:
            rec.fault = fault.kind
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault.kind != "commit_then_502":
                return self._fault_response(fault, rec)
        if problem is not None:
            return self._error(errors.APIError(400, 50109, f"The request body contains invalid JSON. ({problem})"))
        max_file = fd.interactions.attachment_size_limit
        if any(f.size > max_file for f in rec.files):  # checked on upload, before the route's own rules
            return self._error(errors.APIError(413, 40005, "Request entity too large"))
        try:
            response = await handler(request)
        except errors.APIError as exc:
            response = self._error(exc)
        except web.HTTPNotFound:
            response = self._error(errors.not_found_route())
        except web.HTTPMethodNotAllowed:
            response = self._error(errors.APIError(405, 0, "405: Method Not Allowed"))
        except Exception as exc:  # an emulator bug: surface it loudly, but answer fast (no 5xx retries)
            log.exception("fakediscord internal error on %s %s", request.method, rec.path)
            fd.internal_errors.append(f"{request.method} {rec.path}: {exc!r}")
            response = json_response({"message": f"fakediscord internal error: {exc!r}", "code": 0}, 400)
        if fault is not None and fault.kind == "commit_then_502":
            return _server_error(fault.http_status)
        return response

    def _error(self, exc: errors.APIError) -> web.Response:
        return json_response(exc.body(), exc.status)

    def _global_429(self, retry_after: float) -> web.Response:
        """Discord's global-limit 429 (Rate Limits › Example Exceeded Global Rate Limit Response).

        ``Via`` is there because discord.py takes a 429 without it for a Cloudflare ban and does not retry.
        """
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
        }
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": True}
        return json_response(body, 429, headers)

    def _fault_response(self, fault: Fault, rec: RecordedRequest) -> web.Response:
        if fault.kind == "429":
            ra = fault.retry_after
            scope = fault.scope or ("global" if fault.global_ else "user")
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, math.ceil(ra))),
                "X-RateLimit-Scope": scope,
            }
            if fault.global_:
                headers["X-RateLimit-Global"] = "true"
            else:
                headers.update(_ratelimit_headers(rec.route, rec.method, remaining=0, reset_after=ra))
                headers["X-RateLimit-Limit"] = "5"
            body = {"message": "You are being rate limited.", "retry_after": ra, "global": fault.global_, "code": 0}
            return json_response(body, 429, headers)
        if fault.kind == "5xx":
            return _server_error(fault.http_status)
        if fault.kind == "403":
            return json_response({"message": fault.message or "Missing Permissions", "code": fault.code or 50013}, 403)
        code, message = 0, "404: Not Found"
        if "/messages/" in rec.path:
            code, message = 10008, "Unknown Message"
        elif rec.path.startswith("/channels/"):
            code, message = 10003, "Unknown Channel"
        elif rec.path.startswith("/webhooks/"):
            code, message = 10015, "Unknown Webhook"
        return json_response(
            {"message": fault.message or message, "code": fault.code if fault.code is not None else code}, 404
        )

    # -- shared helpers -------------------------------------------------------------------------------------

    def _record(self, request: web.Request) -> RecordedRequest:
        return request[RECORD_KEY]

    def _body(self, request: web.Request) -> Any:
        return self._record(request).json

    def _files(self, request: web.Request) -> list[StoredFile]:
        files = self._record(request).files
        for stored in files:
            if not stored.id:
                stored.id = self.world.snowflakes.next()
        return files

    def _json_body(self, request: web.Request) -> JSON:
        body = self._body(request)
        if not isinstance(body, dict):
            raise errors.invalid_form_body(
                {"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used in a DictType"}]}
            )
        return body

    def validate(
        self,
        request: web.Request,
        body: Any,
        hand: list[Violation],
        *,
        spec_path: str | None = None,
        schema: str | None = None,
    ) -> None:
        """Run the OpenAPI check plus ``hand`` violations; record them and raise Discord's 50035 if any.

        ``schema`` picks the member of the operation's union that applies (see `SpecValidator.validate`)."""
        rec = self._record(request)
        found = list(hand)
        found += self.fd.openapi_violations(request.method, spec_path or rec.route, body, schema)
        if not found:
            return
        stamped = [Violation(v.path, v.code, v.message, v.source, rec.method, rec.route) for v in found]
        self.fd.violations.extend(stamped)
        raise errors.invalid_form_body(error_tree(stamped))

    def _guild(self, guild_id: str) -> Guild:
        guild = self.world.guilds.get(guild_id)
        if not isinstance(guild, Guild):
            raise errors.unknown_guild()
        if not guild.has_bot:  # commands-only install: the bot user cannot read the guild
            raise errors.missing_access()
        guild.requests_while_unavailable += not guild.available
        return guild

    def _channel(self, channel_id: str, *, need: int = perms.VIEW_CHANNEL, sending: bool = False) -> Channel:
        """The channel (or thread) if the bot may see it (else 403 50001) and has ``need`` there (else 50013);
        ``sending`` adds the permission a message needs there (SEND_MESSAGES_IN_THREADS in a thread)."""
        channel = self.world.channels.get(channel_id)
        if not isinstance(channel, Channel):
            raise errors.unknown_channel()
        channel.guild.requests_while_unavailable += not channel.guild.available
        have = channel.guild.bot_permissions_in(channel)
        if not have & perms.VIEW_CHANNEL:
            raise errors.missing_access()
        if sending:
            need |= channel.send_permission
        if have & need != need:
            raise errors.missing_permissions()
        return channel

    def _app(self, request: web.Request) -> None:
        if request.match_info["application_id"] != self.world.application_id:
            raise errors.missing_access()

    # -- users, application, gateway ------------------------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        return json_response(
            {**self.world.bot_user.to_json(), "verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}
        )

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(request.match_info["user_id"])
        if user is None:
            raise errors.APIError(404, 10013, "Unknown User")
        return json_response(user.to_json())

    async def get_application(self, request: web.Request) -> web.Response:
        world = self.world
        return json_response(
            {
                "id": world.application_id,
                "name": world.bot_user.username,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": world.owner_user.to_json(),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(world.guilds),
            }
        )

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fd.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.fd.gateway_url,
                "shards": self.fd.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": self.fd.gateway.max_concurrency,
                },
            }
        )

    # -- application commands -------------------------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> tuple[Guild | None, list[JSON] | None]:
        self._app(request)
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return None, self.world.global_commands
        guild = self.world.guilds.get(guild_id)
        if guild is None:
            raise errors.missing_access()
        assert isinstance(guild, Guild)
        return guild, guild.commands

    def _save_commands(self, guild: Guild | None, commands: list[JSON]) -> None:
        if guild is None:
            self.world.global_commands = commands
        else:
            guild.commands = commands

    def _complete_command(self, guild: Guild | None, body: JSON, previous: list[JSON] | None) -> JSON:
        ctype = int(body.get("type") or 1)
        old = next(
            (c for c in previous or [] if c["name"] == body.get("name") and int(c.get("type", 1)) == ctype), None
        )
        command: JSON = {
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            "description": "",
            **body,
            "type": ctype,
            "id": old["id"] if old else self.world.snowflakes.next(),
            "application_id": self.world.application_id,
            "version": self.world.snowflakes.next(),
        }
        if guild is not None:
            command["guild_id"] = guild.id
        return command

    async def list_commands(self, request: web.Request) -> web.Response:
        """Without ``with_localizations=true`` Discord leaves out the localization dictionaries and gives
        ``name_localized``/``description_localized`` for the ``X-Discord-Locale`` of the request instead."""
        _guild, commands = self._command_scope(request)
        if request.query.get("with_localizations", "").lower() in ("1", "true"):
            return json_response(commands or [])
        locale = request.headers.get("X-Discord-Locale")
        return json_response([_without_localizations(c, locale) for c in commands or []])

    async def put_commands(self, request: web.Request) -> web.Response:
        guild, previous = self._command_scope(request)
        body = self._body(request)
        if not isinstance(body, list):
            raise errors.invalid_form_body(
                {"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Only iterables may be used in a ListType"}]}
            )
        self.validate(request, body, check_commands(body))
        commands = [self._complete_command(guild, cmd, previous) for cmd in body]
        self._save_commands(guild, commands)
        return json_response(commands)

    async def post_command(self, request: web.Request) -> web.Response:
        guild, previous = self._command_scope(request)
        body = self._json_body(request)
        violations = [
            Violation(v.path.split(".", 1)[1] if "." in v.path else "", v.code, v.message)
            for v in check_commands([body])
        ]
        self.validate(request, body, violations)
        command = self._complete_command(guild, body, previous)
        existing = [c for c in previous or [] if c["id"] != command["id"]]
        self._save_commands(guild, [*existing, command])
        created = len(existing) == len(previous or [])
        return json_response(command, 201 if created else 200)

    def _find_command(self, request: web.Request) -> tuple[Guild | None, list[JSON], JSON]:
        guild, commands = self._command_scope(request)
        command_id = request.match_info["command_id"]
        for cmd in commands or []:
            if cmd["id"] == command_id:
                return guild, list(commands or []), cmd
        raise errors.APIError(404, 10063, "Unknown application command")

    async def get_command(self, request: web.Request) -> web.Response:
        _guild, _commands, cmd = self._find_command(request)
        return json_response(cmd)

    async def patch_command(self, request: web.Request) -> web.Response:
        guild, commands, cmd = self._find_command(request)
        body = self._json_body(request)
        merged = {**cmd, **body}
        violations = [
            Violation(v.path.split(".", 1)[1] if "." in v.path else "", v.code, v.message)
            for v in check_commands([merged])
        ]
        self.validate(request, body, violations)
        merged["version"] = self.world.snowflakes.next()
        self._save_commands(guild, [merged if c is cmd else c for c in commands])
        return json_response(merged)

    async def delete_command(self, request: web.Request) -> web.Response:
        guild, commands, cmd = self._find_command(request)
        self._save_commands(guild, [c for c in commands if c is not cmd])
        return no_content()

    # -- interactions and their webhooks --------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        fd = self.fd
        record = fd.interactions.for_callback(
            request.match_info["interaction_id"], request.match_info["interaction_token"]
        )
        body = self._body(request)
        try:
            if not isinstance(body, dict) or "type" not in body:
                raise errors.invalid_form_body(
                    {"type": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}}
                )
            hand = check_callback(body)
            hand += [Violation(*v) for v in fd.interactions.check_callback_type(record, body)]
            self.validate(request, body, hand)
            fd.interactions.check_thread(record, body)
        except errors.APIError as exc:
            record.reject(exc, f"callback type {body.get('type') if isinstance(body, dict) else '?'}")
            raise
        with_response = request.query.get("with_response", "").lower() in ("1", "true")
        result = fd.interactions.apply_callback(record, body, self._files(request), with_response=with_response)
        return no_content() if result is None else json_response(result)

    def _webhook_record(self, request: web.Request) -> InteractionRecord:
        return self.fd.interactions.for_webhook(request.match_info["webhook_id"], request.match_info["webhook_token"])

    def _validated_message_body(self, request: web.Request, record: InteractionRecord | None, what: str) -> JSON:
        body = self._json_body(request) if self._body(request) is not None else {}
        spec_path = None
        if request.match_info.get("message_id") == "@original":
            spec_path = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
        try:
            self.validate(request, body, check_message(body), spec_path=spec_path)
        except errors.APIError as exc:
            if record is not None:
                record.reject(exc, what)
            raise
        return body

    async def followup(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        body = self._validated_message_body(request, record, "followup")
        message = self.fd.interactions.followup(record, body, self._files(request))
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return no_content()
        return json_response(dict(message))

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        return json_response(dict(self.fd.interactions.message(record, request.match_info["message_id"])))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        message = self.fd.interactions.message(record, request.match_info["message_id"])
        body = self._validated_message_body(request, record, "edit of " + request.match_info["message_id"])
        self.fd.interactions.edit(record, message, body, self._files(request))
        return json_response(dict(message))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        message = self.fd.interactions.message(record, request.match_info["message_id"])
        self.fd.interactions.delete(record, message)
        return no_content()

    # -- channels and messages ------------------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel_id"])
        if isinstance(channel, Thread):
            return json_response(channel.with_member(self.world.bot_user.id))
        return json_response(channel.to_json())

    async def edit_channel(self, request: web.Request) -> web.Response:
        """Modify Channel, for threads (JSON Params (Thread)): the body is checked against the thread member of the
        spec's union and Discord's rules (`Thread.edit`); THREAD_UPDATE goes out and the audit log records it with
        ``X-Audit-Log-Reason``. Editing other channels is not emulated (405, as before the route existed)."""
        channel = self._channel(request.match_info["channel_id"])
        if not isinstance(channel, Thread):
            raise errors.APIError(405, 0, "405: Method Not Allowed")
        body = self._json_body(request)
        self.validate(request, body, check_thread(body, creating=False), schema="UpdateThreadRequestPartial")
        audited = channel.edit(channel.guild.bot_member, body)
        self._audit(request, channel.guild, THREAD_UPDATE, channel.id, audited)
        return json_response(channel.with_member(self.world.bot_user.id))

    # -- threads ------------------------------------------------------------------------------------------

    def _thread_parent(self, request: web.Request) -> Channel:
        """Where a thread may start: a text channel the bot sees. A thread in a thread, or in a voice channel, is
        50024 "Cannot execute action on this channel type" (Start Thread: "When called on a GUILD_TEXT channel,
        creates a PUBLIC_THREAD"; announcement and forum channels are not emulated)."""
        channel = self._channel(request.match_info["channel_id"])
        if isinstance(channel, Thread) or channel.type != TEXT_CHANNEL:
            raise errors.invalid_channel_type()
        return channel

    def _start(
        self, request: web.Request, parent: Channel, body: JSON, kind: int, source: Message | None = None
    ) -> web.Response:
        """Start the thread once the request passed its checks: the guild's cap on active threads (160006), then
        `start_thread`, the audit log (110 THREAD_CREATE, with ``X-Audit-Log-Reason``); answers the thread."""
        guild = parent.guild
        if len(guild.active_threads) >= MAX_ACTIVE_THREADS:
            raise errors.max_active_threads()
        thread = start_thread(
            parent,
            guild.bot_member,
            str(body["name"]),
            kind=kind,
            source=source,
            auto_archive_duration=body.get("auto_archive_duration"),
            rate_limit_per_user=body.get("rate_limit_per_user"),
            invitable=body.get("invitable"),
        )
        self._audit(request, guild, THREAD_CREATE, thread.id, [])
        return json_response(thread.to_json(), 201)

    async def start_thread_from_message(self, request: web.Request) -> web.Response:
        """Start Thread from Message: a public thread with the message's id; needs CREATE_PUBLIC_THREADS
        (Permissions: "Allows for creating public and announcement threads"); "a message can only have a single
        thread created from it": 400 160004."""
        parent = self._thread_parent(request)
        body = self._json_body(request)
        self.validate(request, body, check_thread(body, creating=True))
        self._channel(parent.id, need=perms.VIEW_CHANNEL | perms.CREATE_PUBLIC_THREADS)
        source = self._channel_message(request, parent)
        if source.id in parent.guild.threads:
            raise errors.thread_already_created()
        return self._start(request, parent, body, PUBLIC_THREAD, source)

    async def start_thread_without_message(self, request: web.Request) -> web.Response:
        """Start Thread without Message: ``type`` 11 (public, needs CREATE_PUBLIC_THREADS) or 12 (private, needs
        CREATE_PRIVATE_THREADS); "type currently defaults to PRIVATE_THREAD". The body is checked against the
        text-channel member of the spec's union (the other is the forum's)."""
        parent = self._thread_parent(request)
        body = self._json_body(request)
        kind = body.get("type") or PRIVATE_THREAD
        hand = check_thread(body, creating=True)
        if kind not in (PUBLIC_THREAD, PRIVATE_THREAD):
            hand.append(
                Violation("type", "BASE_TYPE_CHOICES", f"Value must be one of {(PUBLIC_THREAD, PRIVATE_THREAD)}.")
            )
        self.validate(request, body, hand, schema="CreateTextThreadWithoutMessageRequest")
        create = perms.CREATE_PUBLIC_THREADS if kind == PUBLIC_THREAD else perms.CREATE_PRIVATE_THREADS
        self._channel(parent.id, need=perms.VIEW_CHANNEL | create)
        return self._start(request, parent, body, kind)

    async def list_active_threads(self, request: web.Request) -> web.Response:
        """List Active Guild Threads: "all active threads in the guild that the current user can access", newest
        first, and the bot's thread member for each it joined."""
        guild = self._guild(request.match_info["guild_id"])
        threads = [t for t in guild.active_threads if t.bot_can_view]
        bot_id = self.world.bot_user.id
        members = [t.members[bot_id].to_json(t.id) for t in threads if bot_id in t.members]
        return json_response({"threads": [t.to_json() for t in threads], "members": members})

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel_id"])
        if not channel.guild.bot_permissions_in(channel) & perms.READ_MESSAGE_HISTORY:
            return json_response([])
        messages = sorted(channel.visible_messages(), key=lambda m: int(m.id), reverse=True)
        query = request.query
        try:
            limit = max(1, min(100, int(query.get("limit", "50"))))
        except ValueError:
            limit = 50
        if "before" in query:
            messages = [m for m in messages if int(m.id) < int(query["before"])]
        if "after" in query:
            messages = sorted((m for m in messages if int(m.id) > int(query["after"])), key=lambda m: int(m.id))
            messages = list(reversed(messages[:limit]))
        if "around" in query:
            pivot = int(query["around"])
            older = [m for m in messages if int(m.id) <= pivot][: (limit + 1) // 2]
            newer = [m for m in messages if int(m.id) > pivot][-(limit // 2) :] if limit > 1 else []
            messages = newer + older
        return json_response([dict(m) for m in messages[:limit]])

    def _channel_message(self, request: web.Request, channel: Channel) -> Message:
        message = self.world.find_message(channel.id, request.match_info["message_id"])
        if message is None or message.ephemeral:
            raise errors.unknown_message()
        assert isinstance(message, Message)
        return message

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel_id"], need=perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY)
        return json_response(dict(self._channel_message(request, channel)))

    async def create_message(self, request: web.Request) -> web.Response:
        fd = self.fd
        world = self.world
        channel = self._channel(request.match_info["channel_id"], sending=True)
        body = self._json_body(request) if self._body(request) is not None else {}
        files = self._files(request)
        hand = check_message(body)
        if not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll")) and not files:
            hand.append(Violation("", "MESSAGE_EMPTY", "Cannot send an empty message"))
        self.validate(request, body, hand)
        have = channel.guild.bot_permissions_in(channel)
        if body.get("embeds") and not have & perms.EMBED_LINKS:
            raise errors.missing_permissions()
        if files and not have & perms.ATTACH_FILES:
            raise errors.missing_permissions()
        author = world.bot_user
        nonce = body.get("nonce")
        # Create Message, `enforce_nonce`: "If true and nonce is present, it will be checked for uniqueness in the
        # past few minutes. If another message was created by the same author with the same nonce, that message
        # will be returned and no new message will be created" (discord-api-docs #6647); minutes: `nonce_window`.
        if nonce is not None and body.get("enforce_nonce"):
            existing = fd.nonce_lookup(author.id, nonce)
            if existing is not None:
                return json_response(dict(existing))
        extra: JSON = {}
        msg_type = 0
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id") is not None and int(ref.get("type") or 0) == 0:
            ref_channel = str(ref.get("channel_id") or channel.id)
            target = world.find_message(ref_channel, str(ref["message_id"]))
            if target is None:
                if ref.get("fail_if_not_exists", True):
                    errs = {
                        "message_reference": {
                            "_errors": [{"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]
                        }
                    }
                    raise errors.invalid_form_body(errs)
            else:
                msg_type = REPLY
                referenced = {k: v for k, v in target.items() if k != "referenced_message"}
                extra["message_reference"] = {
                    "type": 0,
                    "message_id": target.id,
                    "channel_id": target.channel_id,
                    "guild_id": channel.guild.id,
                }
                extra["referenced_message"] = referenced
        if body.get("tts") and not have & perms.SEND_TTS_MESSAGES:
            body = {**body, "tts": False}
        channel.admit_post(channel.guild.bot_member)
        message = build_message(world, channel, author, body, msg_type=msg_type, files=files, extra=extra)
        world.store_message(channel, message)
        if nonce is not None:
            fd.nonce_remember(author.id, nonce, message)
        fd.dispatch("MESSAGE_CREATE", dict(message))
        return json_response(dict(message))

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel_id"])
        message = self._channel_message(request, channel)
        body = self._json_body(request)
        if str(message["author"]["id"]) != self.world.bot_user.id:
            keys = set(body) - {"flags"}
            if keys:
                raise errors.APIError(403, 50005, "Cannot edit a message authored by another user")
        channel.check_write(channel.guild.bot_member, "edit")
        self.validate(request, body, check_message(body))
        apply_edit(self.world, message, body, files=self._files(request))
        self.fd.dispatch("MESSAGE_UPDATE", dict(message))
        return json_response(dict(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel_id"])
        message = self._channel_message(request, channel)
        own = str(message["author"]["id"]) == self.world.bot_user.id
        if not own and not channel.guild.bot_permissions_in(channel) & perms.MANAGE_MESSAGES:
            raise errors.missing_permissions()
        channel.check_write(channel.guild.bot_member, "delete")
        message.deleted = True
        self.fd.dispatch("MESSAGE_DELETE", {"id": message.id, "channel_id": channel.id, "guild_id": channel.guild.id})
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(
            request.match_info["channel_id"], need=perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY | perms.ADD_REACTIONS
        )
        message = self._channel_message(request, channel)
        channel.check_write(channel.guild.bot_member, "react")
        emoji = request.match_info["emoji"]
        reactions: list[JSON] = message.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["emoji"]["name"] == emoji:
                if not reaction["me"]:
                    reaction["me"] = True
                    reaction["count"] += 1
                return no_content()
        reactions.append({"emoji": {"id": None, "name": emoji}, "count": 1, "me": True})
        return no_content()

    async def remove_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel_id"])
        message = self._channel_message(request, channel)
        channel.check_write(channel.guild.bot_member, "delete")
        emoji = request.match_info["emoji"]
        for reaction in list(message.get("reactions", [])):
            if reaction["emoji"]["name"] == emoji and reaction["me"]:
                reaction["me"] = False
                reaction["count"] -= 1
                if reaction["count"] <= 0:
                    message["reactions"].remove(reaction)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request.match_info["channel_id"], sending=True)
        return no_content()

    # -- guilds -------------------------------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"])
        data = guild.rest_json()
        if request.query.get("with_counts", "").lower() in ("1", "true"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return json_response(data)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"])
        return json_response([c.to_json() for c in guild.channels.values()])

    async def get_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"])
        return json_response([r.to_json() for r in guild.roles.values()])

    async def get_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"])
        role = guild.roles.get(request.match_info["role_id"])
        if role is None:
            raise errors.unknown_role()
        return json_response(role.to_json())

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"])
        try:
            limit = max(1, min(1000, int(request.query.get("limit", "1"))))
            after = int(request.query.get("after", "0"))
        except ValueError:
            limit, after = 1, 0
        members = sorted(guild.members.values(), key=lambda m: int(m.id))
        return json_response([m.to_json() for m in members if int(m.id) > after][:limit])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"])
        member = guild.members.get(request.match_info["user_id"])
        if member is None:
            raise errors.unknown_member()
        return json_response(member.to_json())

    # -- member roles ---------------------------------------------------------------------------------------

    def _member_role(self, request: web.Request) -> tuple[Guild, GuildMember, Role]:
        """Discord's checks for granting/removing a role: Manage Roles, a known member and role, and the role
        strictly below the bot's highest role (position, then age); managed roles and @everyone are refused."""
        guild = self._guild(request.match_info["guild_id"])
        bot = guild.bot_member
        if not guild.base_permissions(bot) & perms.MANAGE_ROLES:
            raise errors.missing_permissions()
        member = guild.members.get(request.match_info["user_id"])
        if member is None:
            raise errors.unknown_member()
        role = guild.roles.get(request.match_info["role_id"])
        if role is None:
            raise errors.unknown_role()
        if role is guild.everyone or role.managed:
            raise errors.missing_permissions()
        if bot.id != guild.owner_id and guild.role_rank(role) >= guild.role_rank(guild.top_role(bot)):
            raise errors.missing_permissions()
        return guild, member, role

    def _member_roles_changed(
        self, request: web.Request, guild: Guild, member: GuildMember, key: str, role: Role
    ) -> None:
        self._audit(
            request,
            guild,
            MEMBER_ROLE_UPDATE,
            member.id,
            [{"key": key, "new_value": [{"id": role.id, "name": role.name}]}],
        )
        data = member.to_json()
        data["guild_id"] = guild.id
        self.fd.dispatch("GUILD_MEMBER_UPDATE", data)

    async def add_member_role(self, request: web.Request) -> web.Response:
        guild, member, role = self._member_role(request)
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            self._member_roles_changed(request, guild, member, "$add", role)
        return no_content()

    async def remove_member_role(self, request: web.Request) -> web.Response:
        guild, member, role = self._member_role(request)
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self._member_roles_changed(request, guild, member, "$remove", role)
        return no_content()

    # -- scheduled events -----------------------------------------------------------------------------------

    def _event_guild(self, request: web.Request) -> Guild:
        return self._guild(request.match_info["guild_id"])

    def _bot_can_see_event(self, guild: Guild, event: ScheduledEvent) -> bool:
        """Voice/stage events need VIEW_CHANNEL in their channel; external ones need nothing (docs table)."""
        channel = guild.channels.get(event.channel_id) if event.channel_id is not None else None
        return channel is None or bool(guild.bot_permissions_in(channel) & perms.VIEW_CHANNEL)

    def _stored_event(self, request: web.Request, guild: Guild) -> ScheduledEvent:
        event = guild.scheduled_events.get(request.match_info["guild_scheduled_event_id"])
        if event is None or not self._bot_can_see_event(guild, event):
            raise errors.unknown_event()
        return event

    def _need_event_perms(self, guild: Guild, entity_type: Any, channel_id: Any, *, creator_id: str | None) -> None:
        """Discord's table: MANAGE_EVENTS, or CREATE_EVENTS for creating and for the bot's own events; voice events
        also need VIEW_CHANNEL + CONNECT and stage events MANAGE_CHANNELS + MUTE_MEMBERS + MOVE_MEMBERS, all
        computed in the event's channel (guild-level for external events)."""
        channel = guild.channels.get(str(channel_id)) if channel_id is not None else None
        if entity_type in (EVENT_VOICE, EVENT_STAGE_INSTANCE) and channel is not None:
            have = guild.bot_permissions_in(channel)
        else:
            have = guild.base_permissions(guild.bot_member)
        own = creator_id is None or creator_id == self.world.bot_user.id
        if not have & (perms.MANAGE_EVENTS | (perms.CREATE_EVENTS if own else 0)):
            raise errors.missing_permissions()
        need = 0
        if entity_type == EVENT_VOICE:
            need = perms.VIEW_CHANNEL | perms.CONNECT
        elif entity_type == EVENT_STAGE_INSTANCE:
            need = perms.MANAGE_CHANNELS | perms.MUTE_MEMBERS | perms.MOVE_MEMBERS
        if have & need != need:
            raise errors.missing_permissions()

    def _event_violations(self, guild: Guild, event: JSON, *, check_start: bool) -> list[Violation]:
        """Rules of a (merged) event the spec cannot express: lengths, times, per-entity-type fields."""
        out: list[Violation] = []
        name = event.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            out.append(Violation("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        description = event.get("description")
        if isinstance(description, str) and len(description) > 1000:
            out.append(Violation("description", "BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length."))
        entity_type = event.get("entity_type")
        start = _iso(event.get("scheduled_start_time"))
        end = _iso(event.get("scheduled_end_time"))
        if start is None:
            out.append(Violation("scheduled_start_time", "DATE_TIME_TYPE_PARSE", "Could not parse the date time"))
        elif check_start and start <= self.fd.clock.now():
            out.append(
                Violation(
                    "scheduled_start_time", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
                )
            )
        if event.get("scheduled_end_time") is not None and end is None:
            out.append(Violation("scheduled_end_time", "DATE_TIME_TYPE_PARSE", "Could not parse the date time"))
        if start is not None and end is not None and end <= start:
            out.append(
                Violation(
                    "scheduled_end_time",
                    "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                    "Cannot schedule event to end before starting.",
                )
            )
        if entity_type == EVENT_EXTERNAL:
            metadata = event.get("entity_metadata")
            location = metadata.get("location") if isinstance(metadata, dict) else None
            if not isinstance(location, str) or not location:
                out.append(Violation("entity_metadata.location", "BASE_TYPE_REQUIRED", "This field is required"))
            elif len(location) > 100:
                out.append(
                    Violation(
                        "entity_metadata.location", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                    )
                )
            if end is None:
                out.append(Violation("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required"))
            if event.get("channel_id") is not None:
                out.append(
                    Violation("channel_id", "GUILD_SCHEDULED_EVENT_CHANNEL_INVALID", "Must be null for external events")
                )
        elif entity_type in (EVENT_STAGE_INSTANCE, EVENT_VOICE):
            want = STAGE_CHANNEL if entity_type == EVENT_STAGE_INSTANCE else VOICE_CHANNEL
            channel_id = event.get("channel_id")
            channel = guild.channels.get(str(channel_id)) if channel_id is not None else None
            if channel_id is None:
                out.append(Violation("channel_id", "BASE_TYPE_REQUIRED", "This field is required"))
            elif channel is None or channel.type != want:
                kind = "stage" if want == STAGE_CHANNEL else "voice"
                out.append(Violation("channel_id", "CHANNEL_TYPE_INVALID", f"Must be a {kind} channel of the guild"))
        else:
            out.append(Violation("entity_type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}."))
        if event.get("privacy_level", 2) != 2:
            out.append(Violation("privacy_level", "BASE_TYPE_CHOICES", "Value must be one of {2}."))
        return out

    def _event_json(self, request: web.Request, event: ScheduledEvent) -> JSON:
        data = dict(event)
        if request.query.get("with_user_count", "").lower() in ("1", "true"):
            data["user_count"] = 0
        return data

    def _audit(self, request: web.Request, guild: Guild, action: int, target_id: str, changes: list[JSON]) -> None:
        reason = request.headers.get("X-Audit-Log-Reason")
        guild.audit_log.append(
            AuditLogEntry(
                action,
                self.world.bot_user.id,
                target_id,
                urllib.parse.unquote(reason) if reason is not None else None,
                tuple(changes),
            )
        )

    async def list_events(self, request: web.Request) -> web.Response:
        guild = self._event_guild(request)
        visible = [e for e in guild.scheduled_events.values() if self._bot_can_see_event(guild, e)]
        return json_response([self._event_json(request, e) for e in visible])

    async def get_event(self, request: web.Request) -> web.Response:
        guild = self._event_guild(request)
        return json_response(self._event_json(request, self._stored_event(request, guild)))

    async def create_event(self, request: web.Request) -> web.Response:
        guild = self._event_guild(request)
        body = self._json_body(request)
        self.validate(request, body, self._event_violations(guild, body, check_start=True))
        self._need_event_perms(guild, body["entity_type"], body.get("channel_id"), creator_id=None)
        open_events = [e for e in guild.scheduled_events.values() if e.status in (EVENT_SCHEDULED, EVENT_ACTIVE)]
        if len(open_events) >= MAX_OPEN_EVENTS:
            raise errors.APIError(
                400, 30038, f"Maximum number of uncompleted guild scheduled events reached ({MAX_OPEN_EVENTS})"
            )
        event = guild.new_scheduled_event(self.world.bot_user, body)
        self._audit(request, guild, GUILD_SCHEDULED_EVENT_CREATE, event.id, [])
        self.fd.dispatch("GUILD_SCHEDULED_EVENT_CREATE", dict(event))
        return json_response(dict(event))

    async def edit_event(self, request: web.Request) -> web.Response:
        guild = self._event_guild(request)
        event = self._stored_event(request, guild)
        body = self._json_body(request)
        merged: JSON = {**event, **body}
        if merged.get("entity_type") != EVENT_EXTERNAL:
            merged["entity_metadata"] = None  # "silently discards entity_metadata for non-EXTERNAL events"
        changing_type = "entity_type" in body and body["entity_type"] != event.entity_type
        hand = self._event_violations(
            guild, merged, check_start="scheduled_start_time" in body and merged.get("status") == EVENT_SCHEDULED
        )
        if changing_type and body.get("entity_type") == EVENT_EXTERNAL and "channel_id" not in body:
            hand.append(Violation("channel_id", "BASE_TYPE_REQUIRED", "This field is required (null)"))
        status = body.get("status")
        if status is not None and status not in EVENT_TRANSITIONS.get(event.status, set()):
            hand.append(
                Violation(
                    "status",
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Cannot change the status of a {event.status_name} event to {status}.",
                )
            )
        self.validate(request, body, hand)
        creator = event.creator_id
        self._need_event_perms(guild, event.entity_type, event.channel_id, creator_id=creator)
        if changing_type or merged.get("channel_id") != event.channel_id:
            self._need_event_perms(guild, merged["entity_type"], merged.get("channel_id"), creator_id=creator)
        for key in ("scheduled_start_time", "scheduled_end_time"):
            merged[key] = iso_utc(merged.get(key))
        if merged.get("channel_id") is not None:
            merged["channel_id"] = str(merged["channel_id"])
        if isinstance(merged.get("entity_metadata"), dict):
            merged["entity_metadata"] = {"location": merged["entity_metadata"].get("location")}
        if "image" in body:
            merged["image"] = image_hash(body["image"])
        changes = [{"key": k, "old_value": event.get(k), "new_value": merged[k]} for k in body if k in merged]
        event.clear()
        event.update(merged)
        self._audit(request, guild, GUILD_SCHEDULED_EVENT_UPDATE, event.id, changes)
        self.fd.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", dict(event))
        return json_response(dict(event))

    async def delete_event(self, request: web.Request) -> web.Response:
        guild = self._event_guild(request)
        event = self._stored_event(request, guild)
        self._need_event_perms(guild, event.entity_type, event.channel_id, creator_id=event.creator_id)
        del guild.scheduled_events[event.id]
        self._audit(request, guild, GUILD_SCHEDULED_EVENT_DELETE, event.id, [])
        self.fd.dispatch("GUILD_SCHEDULED_EVENT_DELETE", dict(event))
        return no_content()
