"""The gateway websocket: HELLO/IDENTIFY/READY, heartbeats, dispatch with sequence numbers, resume and controls.

Each IDENTIFY creates a session with its own sequence counter and a bounded replay buffer; dispatches made while the
bot is between connections are buffered and replayed on RESUME, then RESUMED is sent, as Discord does. Frames are
zlib-stream binary when the client asks for ``compress=zlib-stream`` (discord.py's default), plain JSON text
otherwise (e.g. ``zstd-stream``, which is not implemented; discord.py accepts text frames whatever it asked for).

Sharding follows Discord's developer docs (Gateway › Sharding; Opcodes and Status Codes › Gateway Close Event
Codes): IDENTIFY may carry ``shard: [shard_id, num_shards]``; each shard is its own session; a guild belongs to shard
``(guild_id >> 22) % num_shards``, so READY/GUILD_CREATE and every event of that guild (INTERACTION_CREATE included)
go only to that shard's session, and events without a guild (DMs, user updates) go to shard 0. An IDENTIFY without
``shard`` is the single shard ``[0, 1]``. A session that would hold more than 2,500 guilds is closed with 4011
(Sharding required); a malformed ``shard`` is closed with 4010 (Invalid shard). Every control takes an optional
``shard_id=`` (default: the newest session, which is the only one for an unsharded bot).

IDENTIFY is rate limited per bucket: "If you have multiple shards, you may start them concurrently based on the
``max_concurrency`` value ... The rate limit key for a given shard can be computed with ``rate_limit_key = shard_id %
max_concurrency``" (Gateway › Sharding, Max Concurrency), ``max_concurrency`` being "the number of identify requests
allowed per 5 seconds" (Session Start Limit object); and "Clients also have limit of concurrent Identify requests
allowed per 5 seconds. If you hit this limit, the Gateway will respond with an Opcode 9 Invalid Session" (Gateway ›
Rate Limiting). So an IDENTIFY less than ``identify_interval`` (5 s) after the last accepted one of its bucket, from
any connection of the token (several processes share it), is answered op 9 ``false`` and counted in
``early_identifies``. ``GET /gateway/bot`` reports ``max_concurrency``. A test whose client skips discord.py's 5 s
pause between IDENTIFYs sets ``identify_interval = None``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .mentions import USER_MENTION
from .state import Guild, World

JSON = dict[str, Any]
log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_BUFFER = 2_000
MAX_GUILDS_PER_SHARD = 2_500
IDENTIFY_INTERVAL_S = 5.0
"""One IDENTIFY per ``max_concurrency`` bucket per 5 s (Gateway › Sharding, Max Concurrency)."""
"""Discord closes a session that would hold more guilds than this with 4011 (Gateway › Sharding)."""

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_UNKNOWN_OPCODE = 4001
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_INVALID_SEQ = 4007
CLOSE_SESSION_TIMED_OUT = 4009
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16

_EVENT_INTENTS = {
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": INTENT_GUILD_MEMBERS,
    "MESSAGE_CREATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
    "GUILD_SCHEDULED_EVENT_CREATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": INTENT_GUILD_SCHEDULED_EVENTS,
}
_ALWAYS = {"READY", "RESUMED", "INTERACTION_CREATE", "GUILD_MEMBERS_CHUNK"}
_GUILD_ID_IS_ID = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}


def shard_for(guild_id: str | int, shard_count: int) -> int:
    """The shard a guild's events go to: ``(guild_id >> 22) % num_shards`` (Discord docs, Gateway › Sharding)."""
    return (int(guild_id) >> 22) % max(1, shard_count)


def event_guild_id(t: str, d: Any) -> str | None:
    """The guild a dispatch belongs to (``id`` for GUILD_CREATE/UPDATE/DELETE, else ``guild_id``), if any."""
    if not isinstance(d, dict):
        return None
    value = d.get("id") if t in _GUILD_ID_IS_ID else d.get("guild_id")
    return str(value) if value is not None else None


@dataclass(eq=False)
class Connection:
    """One websocket; frames go through a queue so dispatch order is the order of calls."""

    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    path: str
    queue: asyncio.Queue[tuple[JSON, asyncio.Future[None]]] = field(default_factory=asyncio.Queue)
    session: Session | None = None
    writer: asyncio.Task[None] | None = None
    compressor: Any = None
    """A ``zlib.compressobj`` when the client asked for ``compress=zlib-stream`` (binary frames)."""

    def send(self, payload: JSON) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((payload, fut))
        return fut

    async def write_loop(self) -> None:
        while True:
            payload, fut = await self.queue.get()
            try:
                if self.ws.closed:
                    raise ConnectionResetError("websocket closed")
                raw = json.dumps(payload)
                if self.compressor is not None:
                    data = self.compressor.compress(raw.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(raw)
            except (ConnectionError, RuntimeError) as exc:
                if not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # mark retrieved: nobody is required to await dispatch futures
                continue
            if not fut.done():
                fut.set_result(None)


@dataclass
class Session:
    id: str
    intents: int
    shard_id: int = 0
    shard_count: int = 1
    sharded: bool = False
    """The IDENTIFY carried ``shard`` (READY then echoes it)."""
    seq: int = 0
    buffer: deque[JSON] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    connection: Connection | None = None
    resumable: bool = True
    acked_seq: int = 0
    """The highest sequence number the client reported in a heartbeat: it has processed every dispatch up to it."""
    ready_seq: int | None = None
    """Sequence number of the last GUILD_CREATE sent after READY."""
    resumes: int = 0
    """How many times this session was resumed."""

    @property
    def ready(self) -> bool:
        """The client has processed READY and every GUILD_CREATE that followed it."""
        return self.ready_seq is not None and self.acked_seq >= self.ready_seq

    def owns(self, guild_id: str | None) -> bool:
        """Events of ``guild_id`` (None: a DM or other non-guild event, shard 0's) go to this session."""
        if guild_id is None:
            return self.shard_id == 0
        return shard_for(guild_id, self.shard_count) == self.shard_id


class Gateway:
    """Server side of the gateway plus the controls tests use (``FakeDiscord.gateway``)."""

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self.token = token
        self.resume_url = ""
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identify_count = 0
        self.resume_count = 0
        self.identify_counts: dict[int, int] = {}
        """Successful IDENTIFYs per shard id."""
        self.resume_counts: dict[int, int] = {}
        """Successful RESUMEs per shard id."""
        self.closed_with: list[tuple[int, str]] = []
        """Close codes the gateway chose itself (4004, 4010, 4011, ...) with their reason, in order."""
        self.heartbeat_count = 0
        self.max_guilds_per_shard = MAX_GUILDS_PER_SHARD
        self.max_concurrency = 1
        """IDENTIFY buckets (``shard_id % max_concurrency``), each allowed one IDENTIFY per ``identify_interval``."""
        self.identify_interval: float | None = IDENTIFY_INTERVAL_S
        """Seconds between two accepted IDENTIFYs of a bucket (None: not enforced)."""
        self.early_identifies: list[int] = []
        """Shard ids whose IDENTIFY came too early in its bucket and was answered op 9, in order."""
        self._bucket_identified: dict[int, float] = {}
        """A session that would hold more guilds than this is closed with 4011 (Discord: 2,500)."""
        self.received: list[JSON] = []
        """Every frame the client sent, in order (tests can inspect IDENTIFY/RESUME payloads)."""
        self.resume_paths: list[str] = []
        self.ready = asyncio.Event()
        self._changed = asyncio.Condition()
        self._session_counter = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.compress = True
        """Answer ``compress=zlib-stream`` with zlib-compressed binary frames (False: always plain JSON text)."""
        self.connect_queries: list[dict[str, str]] = []
        """The query string of every websocket connect (``v``, ``encoding``, ``compress``)."""

    # -- public controls ------------------------------------------------------------------------------------

    @property
    def current(self) -> Session | None:
        """The newest live session (the bot's; with several shards, the one that identified or resumed last)."""
        return next(reversed(self.sessions.values()), None)

    @property
    def shards(self) -> dict[int, Session]:
        """The newest session of every shard id, by shard id."""
        out: dict[int, Session] = {}
        for session in self.sessions.values():
            out[session.shard_id] = session
        return dict(sorted(out.items()))

    def session(self, shard_id: int | None = None) -> Session | None:
        """The newest session of ``shard_id`` (None: ``current``)."""
        if shard_id is None:
            return self.current
        return self.shards.get(shard_id)

    def owner(self, guild_id: str | None) -> Session | None:
        """The newest session that receives ``guild_id``'s events (None: a DM or other non-guild event)."""
        current = self.current
        count = current.shard_count if current is not None else 1
        return next((s for s in reversed(self.sessions.values()) if s.shard_count == count and s.owns(guild_id)), None)

    @property
    def connected(self) -> bool:
        session = self.current
        return session is not None and session.connection is not None

    @property
    def is_ready(self) -> bool:
        """Every shard of the bot identified and processed READY and every GUILD_CREATE that followed it.

        The shard count is the one the newest session identified with; an unsharded bot is one shard.
        """
        current = self.current
        if current is None:
            return False
        count = current.shard_count
        newest = {s.shard_id: s for s in self.sessions.values() if s.shard_count == count}
        return all(shard_id in newest and newest[shard_id].ready for shard_id in range(count))

    # The controls below act immediately and return an awaitable that completes once the frame was written, so
    # both ``fd.gateway.send_reconnect()`` and ``await fd.gateway.send_reconnect()`` work. ``shard_id`` picks the
    # shard's session; None means the newest session (the only one of an unsharded bot).

    def dispatch(self, t: str, d: JSON, *, shard_id: int | None = None) -> asyncio.Future[None]:
        """Send a dispatch to the bot (buffered for replay if it is between connections).

        It goes to the shard that owns its guild (``guild_id``, or ``id`` for GUILD_CREATE/UPDATE/DELETE; shard 0
        when there is none), or to ``shard_id`` if given.
        """
        return _all(self._dispatch(t, lambda _session: d, event_guild_id(t, d), shard_id=shard_id))

    def send_reconnect(self, shard_id: int | None = None) -> asyncio.Future[None]:
        """op 7: the client closes with 4000 and resumes on ``resume_gateway_url``."""
        return self._send_op({"op": OP_RECONNECT, "d": None}, self._target(shard_id))

    def invalidate_session(self, resumable: bool, shard_id: int | None = None) -> asyncio.Future[None]:
        """op 9: resumable=False discards the session so the bot must IDENTIFY again (after its 5 s sleep)."""
        session = self._target(shard_id)
        fut = self._send_op({"op": OP_INVALID_SESSION, "d": resumable}, session)
        if session is not None and not resumable:
            session.resumable = False
            self.sessions.pop(session.id, None)
        return fut

    def close(self, code: int = 4000, message: str = "", shard_id: int | None = None) -> asyncio.Future[None]:
        """Close the bot's websocket with ``code``; 4007/4009 also make the session non-resumable."""
        session = self._target(shard_id)
        if session is None or session.connection is None:
            return _done()
        if code in (CLOSE_INVALID_SEQ, CLOSE_SESSION_TIMED_OUT):
            session.resumable = False
        return self._spawn(session.connection.ws.close(code=code, message=message.encode()))

    def drop(self, shard_id: int | None = None) -> asyncio.Future[None]:
        """Abort the TCP connection without a close frame (the client backs off, then resumes)."""
        session = self._target(shard_id)
        if session is not None and session.connection is not None:
            transport = session.connection.transport
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
        return _done()

    def request_heartbeat(self, shard_id: int | None = None) -> asyncio.Future[None]:
        """A server-sent op 1 makes the client heartbeat immediately."""
        return self._send_op({"op": OP_HEARTBEAT, "d": None}, self._target(shard_id))

    async def sync(self, timeout: float = 5.0, shard_id: int | None = None) -> None:  # noqa: ASYNC109
        """Wait until the bot has processed every dispatch sent so far (on every shard, or on ``shard_id``).

        Sends op 1; the client answers with a heartbeat carrying the last sequence number it handled, and it
        handles frames in order, so an answer with ``d >= seq`` proves the earlier dispatches were parsed.
        """
        if shard_id is not None:
            targets = [self.shards.get(shard_id)]
        else:
            current = self.current
            count = current.shard_count if current is not None else 1
            targets = [s for s in self.shards.values() if s.shard_count == count] or [current]
        wanted: list[tuple[Session, int]] = []
        for session in targets:
            if session is None or session.connection is None:
                raise RuntimeError("the bot is not connected to the gateway")
            wanted.append((session, session.seq))
        for session, _target in wanted:
            await self._send_op({"op": OP_HEARTBEAT, "d": None}, session)
        await self.wait_for(lambda: all(s.acked_seq >= target for s, target in wanted), timeout)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds, re-checked after every gateway state change."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def shutdown(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server shutting down")
            if conn.writer is not None:
                conn.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await conn.writer
        self.connections.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- hooks used by the facade ---------------------------------------------------------------------------

    def dispatch_nowait(self, t: str, d: JSON) -> None:
        self._dispatch(t, lambda _session: d, event_guild_id(t, d))

    def guild_added(self, guild: Guild) -> None:
        self._dispatch("GUILD_CREATE", lambda session: guild.to_json(intents=session.intents), guild.id)

    # -- websocket handler ----------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        transport = request.transport
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, transport, request.path)
        self.connect_queries.append(dict(request.query))
        if self.compress and request.query.get("compress") == "zlib-stream":
            conn.compressor = zlib.compressobj()
        conn.writer = asyncio.create_task(conn.write_loop(), name="fakediscord-gateway-writer")
        self.connections.add(conn)
        conn.send({"op": OP_HELLO, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                self.received.append(payload)
                await self._on_frame(conn, payload)
                await self._notify()
        finally:
            await self._drain(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            self.connections.discard(conn)
            if conn.writer is not None:
                conn.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await conn.writer
            await self._notify()
        return ws

    async def _on_frame(self, conn: Connection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            self.heartbeat_count += 1
            if conn.session is not None and isinstance(data, int) and not isinstance(data, bool):
                conn.session.acked_seq = max(conn.session.acked_seq, data)
                if self.is_ready:
                    self.ready.set()
            conn.send({"op": OP_HEARTBEAT_ACK, "d": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await self._close(conn, CLOSE_NOT_AUTHENTICATED, "Not authenticated.")
        elif op == OP_REQUEST_GUILD_MEMBERS:
            self._members_chunk(conn, data or {})
        elif op in (OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE):
            return
        else:
            await self._close(conn, CLOSE_UNKNOWN_OPCODE, "Unknown opcode.")

    async def _identify(self, conn: Connection, data: JSON) -> None:
        if conn.session is not None:
            await self._close(conn, CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if data.get("token") != self.token:
            await self._close(conn, CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        shard = _parse_shard(data.get("shard"))
        if shard is None:
            await self._close(conn, CLOSE_INVALID_SHARD, "Invalid shard.")
            return
        shard_id, shard_count = shard
        if self._too_early(shard_id):
            self.early_identifies.append(shard_id)
            conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        world = self.world
        guilds = [g for g in world.guilds.values() if g.has_bot and shard_for(g.id, shard_count) == shard_id]
        if len(guilds) > self.max_guilds_per_shard:
            await self._close(conn, CLOSE_SHARDING_REQUIRED, "Sharding required.")
            return
        # A new IDENTIFY supersedes this shard's sessions whose connection is gone (e.g. a killed bot), and any
        # dead session of a different shard count (the bot resharded).
        for old in [s for s in self.sessions.values() if s.connection is None]:
            if old.shard_id == shard_id or old.shard_count != shard_count:
                del self.sessions[old.id]
        self._session_counter += 1
        session = Session(
            f"fake-session-{self._session_counter}",
            int(data.get("intents", 0)),
            shard_id=shard_id,
            shard_count=shard_count,
            sharded="shard" in data,
        )
        session.connection = conn
        conn.session = session
        self.sessions[session.id] = session
        self.identify_count += 1
        self.identify_counts[shard_id] = self.identify_counts.get(shard_id, 0) + 1
        ready: JSON = {
            "v": 10,
            "user": {**world.bot_user.to_json(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": g.id, "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": world.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
        }
        if session.sharded:
            ready["shard"] = [shard_id, shard_count]
        futures = [self._send_dispatch(session, "READY", ready)]
        futures += [
            self._send_dispatch(session, "GUILD_CREATE", g.to_json(intents=session.intents))
            if g.available
            else self._send_dispatch(session, "GUILD_DELETE", {"id": g.id, "unavailable": True})  # Guild.outage
            for g in guilds
        ]
        session.ready_seq = session.seq
        # Ask for a heartbeat: its sequence number tells when the client has processed READY + GUILD_CREATEs.
        futures.append(conn.send({"op": OP_HEARTBEAT, "d": None}))
        await _settle(futures)

    def _too_early(self, shard_id: int) -> bool:
        """Whether this IDENTIFY comes within ``identify_interval`` of the last accepted one of its bucket; if not, it
        is the bucket's last from now on."""
        now = asyncio.get_running_loop().time()
        bucket = shard_id % max(1, self.max_concurrency)
        last = self._bucket_identified.get(bucket)
        if self.identify_interval is not None and last is not None and now - last < self.identify_interval:
            return True
        self._bucket_identified[bucket] = now
        return False

    async def _close(self, conn: Connection, code: int, reason: str) -> None:
        self.closed_with.append((code, reason))
        await conn.ws.close(code=code, message=reason.encode())

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        self.resume_paths.append(conn.path)
        if data.get("token") != self.token:
            await self._close(conn, CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        if session is None or not session.resumable:
            if session is not None:
                self.sessions.pop(session.id, None)
            conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        last_seq = int(data.get("seq") or 0)
        if session.connection is not None and session.connection is not conn:
            with contextlib.suppress(Exception):
                await session.connection.ws.close(code=4000, message=b"Session resumed elsewhere.")
        session.connection = conn
        conn.session = session
        self.resume_count += 1
        session.resumes += 1
        self.resume_counts[session.shard_id] = self.resume_counts.get(session.shard_id, 0) + 1
        futures = [conn.send(p) for p in list(session.buffer) if p["s"] > last_seq]
        futures.append(self._send_dispatch(session, "RESUMED", {}))
        await _settle(futures)

    def _members_chunk(self, conn: Connection, data: JSON) -> None:
        guild = self.world.guilds.get(str(data.get("guild_id")))
        if guild is None or conn.session is None:
            return
        chunk: JSON = {
            "guild_id": guild.id,
            "members": [m.to_json() for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- internals ------------------------------------------------------------------------------------------

    def _dispatch(
        self, t: str, build: Callable[[Session], JSON], guild_id: str | None, *, shard_id: int | None = None
    ) -> list[asyncio.Future[None]]:
        """Send to the sessions of the shard owning ``guild_id`` (or of ``shard_id``) that want ``t``.

        Events of a guild the bot is not a member of are not sent (Discord sends a bot only its guilds' events),
        except INTERACTION_CREATE, which reaches an app whose commands are installed there.
        """
        guild = self.world.guilds.get(guild_id) if guild_id is not None else None
        if guild is not None and not guild.has_bot and t != "INTERACTION_CREATE":
            return []
        futures: list[asyncio.Future[None]] = []
        for session in list(self.sessions.values()):
            owner = session.shard_id == shard_id if shard_id is not None else session.owns(guild_id)
            if not owner or not self._wants(session, t):
                continue
            d = build(session)
            if t == "THREAD_MEMBERS_UPDATE" and not self._wants_thread_members(session, d):
                continue
            if t in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                d = self._apply_message_content_intent(session, d)
            futures.append(self._send_dispatch(session, t, d))
        return futures

    @staticmethod
    def _wants(session: Session, t: str) -> bool:
        if t in _ALWAYS:
            return True
        return bool(session.intents & _EVENT_INTENTS.get(t, INTENT_GUILDS))

    def _wants_thread_members(self, session: Session, d: JSON) -> bool:
        """THREAD_MEMBERS_UPDATE about others needs GUILD_MEMBERS: "If the current user does not have the
        GUILD_MEMBERS Gateway Intent, then this event will only be sent if the current user was added to or removed
        from the thread" (Gateway Events › Thread Members Update)."""
        if session.intents & INTENT_GUILD_MEMBERS:
            return True
        bot_id = self.world.bot_user.id
        added = {str(m.get("user_id")) for m in d.get("added_members") or []}
        removed = {str(i) for i in d.get("removed_member_ids") or []}
        return bot_id in added | removed

    def _apply_message_content_intent(self, session: Session, d: JSON) -> JSON:
        """Without MESSAGE_CONTENT, other users' messages arrive with content, embeds and components blanked."""
        if session.intents & INTENT_MESSAGE_CONTENT:
            return d
        bot_id = self.world.bot_user.id
        author = d.get("author") or {}
        if author.get("id") == bot_id or bot_id in USER_MENTION.findall(str(d.get("content", ""))):
            return d
        return {**d, "content": "", "embeds": [], "components": [], "attachments": []}

    def _send_dispatch(self, session: Session, t: str, d: JSON) -> asyncio.Future[None]:
        session.seq += 1
        payload = {"op": OP_DISPATCH, "s": session.seq, "t": t, "d": d}
        session.buffer.append(payload)
        if session.connection is not None:
            return session.connection.send(payload)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def _target(self, shard_id: int | None) -> Session | None:
        return self.current if shard_id is None else self.shards.get(shard_id)

    def _send_op(self, payload: JSON, session: Session | None) -> asyncio.Future[None]:
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected to the gateway")
        return _all([session.connection.send(payload)])

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[None]:
        async def run() -> None:
            with contextlib.suppress(Exception):
                await coro

        task = asyncio.get_running_loop().create_task(run(), name="fakediscord-gateway-control")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _drain(self, conn: Connection) -> None:
        while not conn.queue.empty():
            _payload, fut = conn.queue.get_nowait()
            if not fut.done():
                fut.set_result(None)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _parse_shard(value: Any) -> tuple[int, int] | None:
    """``shard: [shard_id, num_shards]`` from IDENTIFY (absent: ``(0, 1)``); None if malformed (close 4010)."""
    if value is None:
        return 0, 1
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        return None
    shard_id, shard_count = value
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        return None
    return shard_id, shard_count


def _done() -> asyncio.Future[None]:
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    fut.set_result(None)
    return fut


def _all(futures: list[asyncio.Future[None]]) -> asyncio.Future[None]:
    """A future that completes (never fails) once every frame future is done."""
    result = _done() if not futures else asyncio.get_running_loop().create_future()
    pending = {f for f in futures if not f.done()}
    if futures and not pending:
        result.set_result(None)

    def finished(fut: asyncio.Future[None]) -> None:
        pending.discard(fut)
        if not pending and not result.done():
            result.set_result(None)

    for fut in list(pending):
        fut.add_done_callback(finished)
    return result


async def _settle(futures: list[asyncio.Future[None]]) -> None:
    """Wait for frames to be written; failures mean the socket dropped, and replay covers that."""
    if futures:
        await asyncio.gather(*futures, return_exceptions=True)
