"""The reminders' tables, behind typed methods: server configuration and posts (a server's own releases are
`bot.releases`').

A post is one row per (server, release, lead time) and moves from `pending` to `sent`, `skipped` or
`failed` exactly once; `sent` is written only after Discord accepted it (`record_sent` writes many at once).
Reads go to the database's read-only connection (`Database.read`), so they never wait for a write.

A server's configuration is read on every `/releases` command and changes only through this store, so it is
kept in memory once read (`bot.db.cache.ReadCache`) and forgotten by the write that changes it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.db import Database, Row
from bot.db.cache import ReadCache
from bot.i18n import ENGLISH
from bot.moments import DEFAULT_ZONE
from bot.shards import ALL, ShardRange
from cogs.reminders.timeparse import DEFAULT_SPEC, LeadTime, format_lead_times, parse_lead_time, parse_lead_times


class PostState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """A server's reminder settings; a server that never configured any reads as these defaults."""

    guild_id: int
    channel_id: int | None = None
    role_id: int | None = None
    zone: str = DEFAULT_ZONE
    lead_times: tuple[LeadTime, ...] = field(default_factory=lambda: parse_lead_times(DEFAULT_SPEC, ENGLISH))
    template: str | None = None
    enabled: bool = True
    blocked_reason: str | None = None
    blocked_at: int | None = None

    @property
    def zoneinfo(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def active(self) -> bool:
        """Whether posts go out: enabled, with a channel, and not blocked by a refusal from Discord."""
        return self.enabled and self.channel_id is not None and self.blocked_reason is None


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """One post a release should get: what `sync_plan` reconciles the stored posts with."""

    release_id: str
    lead: LeadTime
    announced: str
    release_at: int
    due_at: int


@dataclass(frozen=True, slots=True)
class Post:
    guild_id: int
    release_id: str
    lead: LeadTime
    announced: str
    release_at: int
    due_at: int
    wake_at: int
    state: PostState
    attempts: int
    late: bool
    message_id: int | None
    detail: str | None
    error: str | None
    error_at: int | None
    updated_at: int
    attempted_at: int | None = None

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.guild_id, self.release_id, self.lead.key)


@dataclass(frozen=True, slots=True)
class Sent:
    """A post Discord accepted as message `message_id`, to be recorded as sent; `late` if made after its time."""

    post: Post
    message_id: int
    late: bool


_CONFIG_COLUMNS = ("channel_id", "role_id", "zone", "lead_times", "template", "enabled")
_POST_FIELDS = (
    "guild_id", "release_id", "lead", "announced", "release_at", "due_at", "wake_at", "state", "attempts", "late",
    "message_id", "detail", "error", "error_at", "updated_at", "attempted_at",
)  # fmt: skip
_POST_COLUMNS = ", ".join(_POST_FIELDS)
_SERVER_TABLES = ("reminder_guilds", "reminder_posts", "reminder_event_mirrors", "reminder_events")
# A pending post to its final state (a post no longer pending is left alone). Parameters: state, message id,
# late, detail, error, error (again), the error's time (now), now, guild id, release id, lead.
_FINISH = (
    "UPDATE reminder_posts SET state = ?, message_id = ?, late = ?, detail = ?, "
    "error = COALESCE(?, error), error_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN error_at ELSE ? END, "
    "attempts = attempts + 1, updated_at = ? "
    "WHERE guild_id = ? AND release_id = ? AND lead = ? AND state = 'pending'"
)
# A post planned afresh: new, or replacing a finished one whose release was announced for another moment (the
# replaced post's outcome goes with it). Parameters: guild id, release id, lead, announced, release time, due
# time, wake time, now.
_REPLAN = (
    "INSERT INTO reminder_posts (guild_id, release_id, lead, announced, release_at, due_at, wake_at, state, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (guild_id, release_id, lead) DO UPDATE SET "
    "announced = excluded.announced, release_at = excluded.release_at, due_at = excluded.due_at, "
    "wake_at = excluded.wake_at, state = 'pending', attempts = 0, late = 0, message_id = NULL, detail = NULL, "
    "error = NULL, error_at = NULL, attempted_at = NULL, updated_at = excluded.updated_at"
)


class ReminderStore:
    """All reminder reads and writes; every method but `due`/`next_wake` is scoped to one server."""

    def __init__(self, db: Database, shards: ShardRange = ALL) -> None:
        self._db = db
        self._shards = shards  # the servers this process acts for: the dispatcher and the plan at start read theirs
        self._configs: ReadCache[GuildConfig] = ReadCache()

    # -- configuration ------------------------------------------------------------------------------------

    async def config(self, guild_id: int) -> GuildConfig:
        """The server's settings (the defaults when it has none): from memory once read (`ReadCache`)."""

        async def read() -> GuildConfig:
            row = await self._db.read.fetchone("SELECT * FROM reminder_guilds WHERE guild_id = ?", (guild_id,))
            return GuildConfig(guild_id) if row is None else _config(row)

        return await self._configs.get(guild_id, read)

    async def configs(self, guild_ids: Collection[int]) -> dict[int, GuildConfig]:
        """Each server's configuration by id (the defaults for one without a row), in one query."""
        rows = await self._db.read.fetchall(
            f"SELECT * FROM reminder_guilds WHERE guild_id {self._db.dialect.in_ids}",
            (self._db.dialect.ids(guild_ids),),
        )
        found = {int(row["guild_id"]): _config(row) for row in rows}
        return {guild_id: found.get(guild_id) or GuildConfig(guild_id) for guild_id in guild_ids}

    async def configured_guilds(self) -> list[GuildConfig]:
        return [_config(row) for row in await self._db.read.fetchall("SELECT * FROM reminder_guilds")]

    async def configured_guild_ids(self) -> list[int]:
        """Every server with a configuration row, without reading the rows (one bad row must not hide the rest)."""
        return [
            int(row[0])
            for row in await self._db.read.fetchall(
                f"SELECT guild_id FROM reminder_guilds WHERE {self._shards.where('guild_id')} ORDER BY guild_id"
            )
        ]

    async def server_ids(self) -> set[int]:
        """Every server with reminder data: a configuration, posts or events."""
        rows = await self._db.read.fetchall(" UNION ".join(f"SELECT guild_id FROM {table}" for table in _SERVER_TABLES))
        return {int(row[0]) for row in rows}

    async def forget_server(self, guild_id: int) -> None:
        """Delete everything of the server's reminders, in one transaction (`bot.presence.RETENTION_S`)."""
        with self._configs.changing(guild_id):
            async with self._db.transaction() as conn:
                for table in _SERVER_TABLES:
                    await conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", (guild_id,))

    async def configure(self, config: GuildConfig, now: int) -> GuildConfig:
        """Store `config` whole (the caller changed fields with `dataclasses.replace`)."""
        with self._configs.changing(config.guild_id):
            await self._db.execute(
                "INSERT INTO reminder_guilds (guild_id, channel_id, role_id, zone, lead_times, template, enabled, "
                "blocked_reason, blocked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET "
                + ", ".join(
                    f"{c} = excluded.{c}" for c in (*_CONFIG_COLUMNS, "blocked_reason", "blocked_at", "updated_at")
                ),
                (
                    config.guild_id,
                    config.channel_id,
                    config.role_id,
                    config.zone,
                    format_lead_times(config.lead_times),
                    config.template,
                    int(config.enabled),
                    config.blocked_reason,
                    config.blocked_at,
                    now,
                ),
            )
        return config

    async def block(self, guild_id: int, reason: str, now: int) -> bool:
        """Stop the server's posts until a moderator fixes the configuration; True if it was not blocked yet."""
        with self._configs.changing(guild_id):
            changed = await self._db.execute(
                "UPDATE reminder_guilds SET blocked_reason = ?, blocked_at = ?, updated_at = ? "
                "WHERE guild_id = ? AND blocked_reason IS NULL",
                (reason, now, now, guild_id),
            )
            return changed > 0

    async def live_event_ids(self, guild_ids: Collection[int]) -> dict[tuple[int, str], int]:
        """The native events of many servers' releases by (server id, release id), in one query: what posts link
        to. The mirror's table is written only by `event_store.EventStore`."""
        rows = await self._db.read.fetchall(
            "SELECT guild_id, release_id, event_id FROM reminder_events WHERE state = 'live' "
            f"AND guild_id {self._db.dialect.in_ids}",
            (self._db.dialect.ids(guild_ids),),
        )
        return {(int(row[0]), str(row[1])): int(row[2]) for row in rows}

    # -- the plan ---------------------------------------------------------------------------------------

    async def sync_plan(self, guild_id: int, planned: Iterable[PlannedPost], now: int) -> None:
        """Make the server's stored posts match its plan, in one transaction (the rules: `_plan_writes`)."""
        await self.sync_plans({guild_id: list(planned)}, now)

    async def sync_plans(self, plans: Mapping[int, Sequence[PlannedPost]], now: int) -> None:
        """`sync_plan` for many servers at once: one read of their posts and one transaction of batched writes,
        so replanning 10,000 servers at start is a few set-based statements, not 10,000 transactions."""
        writes = _PlanWrites()
        async with self._db.transaction() as conn:
            rows = await conn.fetchall(
                f"SELECT {_POST_COLUMNS} FROM reminder_posts WHERE guild_id {self._db.dialect.in_ids}",
                (self._db.dialect.ids(plans),),
            )
            stored: dict[int, dict[tuple[str, str], Post]] = {guild_id: {} for guild_id in plans}
            for post in map(_post, rows):
                stored[post.guild_id][(post.release_id, post.lead.key)] = post
            for guild_id, planned in plans.items():
                writes.add(guild_id, stored[guild_id], planned, now)
            await conn.executemany(
                "DELETE FROM reminder_posts WHERE guild_id = ? AND release_id = ? AND lead = ?", writes.deletes
            )
            await conn.executemany(_REPLAN, writes.inserts)
            # A release announced for another moment makes an earlier attempt's message a different post.
            await conn.executemany(
                "UPDATE reminder_posts SET announced = ?, release_at = ?, due_at = ?, wake_at = ?, "
                "attempted_at = CASE WHEN announced = ? THEN attempted_at END, "
                "updated_at = ? WHERE guild_id = ? AND release_id = ? AND lead = ?",
                writes.updates,
            )

    async def skip_missed(self, guild_id: int, now: int, reason: str) -> int:
        """Record every pending post already due as skipped (posting was off); return how many."""
        return await self._db.execute(
            "UPDATE reminder_posts SET state = 'skipped', detail = ?, updated_at = ? "
            "WHERE guild_id = ? AND state = 'pending' AND due_at <= ?",
            (reason, now, guild_id, now),
        )

    # -- the dispatcher -----------------------------------------------------------------------------------

    async def due(self, now: int, limit: int, *, excluding: Collection[int] = ()) -> list[Post]:
        """Pending posts of active servers whose time has come, earliest first, leaving out `excluding`'s."""
        rows = await self._db.read.fetchall(
            f"SELECT {', '.join('p.' + c for c in _POST_FIELDS)} FROM reminder_posts AS p "
            "JOIN reminder_guilds AS g ON g.guild_id = p.guild_id "
            "WHERE p.state = 'pending' AND p.wake_at <= ? AND g.enabled = 1 AND g.channel_id IS NOT NULL "
            f"AND g.blocked_reason IS NULL AND p.guild_id NOT {self._db.dialect.in_ids} "
            f"AND {self._shards.where('p.guild_id')} ORDER BY p.wake_at LIMIT ?",
            (now, self._db.dialect.ids(excluding), limit),
        )
        return [_post(row) for row in rows]

    async def next_wake(self, *, after: int, excluding: Collection[int] = ()) -> int | None:
        """When the earliest pending post of an active server (not one of `excluding`) later than `after` is due;
        None when none is."""
        row = await self._db.read.fetchone(
            "SELECT MIN(p.wake_at) FROM reminder_posts AS p JOIN reminder_guilds AS g ON g.guild_id = p.guild_id "
            "WHERE p.state = 'pending' AND p.wake_at > ? AND g.enabled = 1 AND g.channel_id IS NOT NULL "
            f"AND g.blocked_reason IS NULL AND p.guild_id NOT {self._db.dialect.in_ids} "
            f"AND {self._shards.where('p.guild_id')}",
            (after, self._db.dialect.ids(excluding)),
        )
        return None if row is None or row[0] is None else int(row[0])

    async def reschedule(self, post: Post, wake_at: int, now: int) -> None:
        await self._db.execute(
            "UPDATE reminder_posts SET wake_at = ?, updated_at = ? "
            "WHERE guild_id = ? AND release_id = ? AND lead = ? AND state = 'pending'",
            (wake_at, now, *post.key),
        )

    async def note_error(self, post: Post, error: str, now: int) -> None:
        """Remember why a pending post could not go out, without counting an attempt (its server is blocked)."""
        await self._db.execute(
            "UPDATE reminder_posts SET error = ?, error_at = ?, updated_at = ? "
            "WHERE guild_id = ? AND release_id = ? AND lead = ? AND state = 'pending'",
            (error, now, now, *post.key),
        )

    async def mark_attempt(self, post: Post, now: int) -> None:
        """Remember that the post is being handed to Discord (the first time only)."""
        await self._db.execute(
            "UPDATE reminder_posts SET attempted_at = COALESCE(attempted_at, ?) "
            "WHERE guild_id = ? AND release_id = ? AND lead = ? AND state = 'pending'",
            (now, *post.key),
        )

    async def mark_attempts(self, posts: Sequence[Post], now: int) -> None:
        """`mark_attempt` for many posts, in one transaction."""
        if not posts:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE reminder_posts SET attempted_at = COALESCE(attempted_at, ?) "
                "WHERE guild_id = ? AND release_id = ? AND lead = ? AND state = 'pending'",
                [(now, *post.key) for post in posts],
            )

    async def mark_sent(self, post: Post, message_id: int, now: int, *, late: bool) -> None:
        await self.record_sent([Sent(post, message_id, late)], now)

    async def record_sent(self, sent: Sequence[Sent], now: int) -> None:
        """Record posts Discord accepted as sent, in one transaction (call only after Discord accepted them)."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                _FINISH,
                [
                    (PostState.SENT.value, s.message_id, int(s.late), None, None, None, None, now, *s.post.key)
                    for s in sent
                ],
            )

    async def mark_skipped(self, post: Post, reason: str, now: int) -> None:
        await self._finish(post, PostState.SKIPPED, now, detail=reason)

    async def mark_failed(self, post: Post, reason: str, now: int) -> None:
        await self._finish(post, PostState.FAILED, now, detail=reason, error=reason)

    async def retry_later(self, post: Post, error: str, wake_at: int, now: int) -> None:
        """Keep the post pending, count the attempt and remember the error."""
        await self._db.execute(
            "UPDATE reminder_posts SET attempts = attempts + 1, wake_at = ?, error = ?, error_at = ?, updated_at = ? "
            "WHERE guild_id = ? AND release_id = ? AND lead = ? AND state = 'pending'",
            (wake_at, error, now, now, *post.key),
        )

    async def _finish(
        self,
        post: Post,
        state: PostState,
        now: int,
        *,
        message_id: int | None = None,
        late: bool = False,
        detail: str | None = None,
        error: str | None = None,
    ) -> None:
        """Move a pending post to its final state; a post that is no longer pending is left alone."""
        await self._db.execute(_FINISH, (state.value, message_id, int(late), detail, error, error, now, now, *post.key))

    # -- /reminders status --------------------------------------------------------------------------------

    async def posts(self, guild_id: int, states: Sequence[PostState], limit: int) -> list[Post]:
        """Pending posts soonest first; finished ones most recent first."""
        marks = ", ".join("?" for _ in states)
        order = "due_at ASC" if list(states) == [PostState.PENDING] else "updated_at DESC, due_at DESC"
        rows = await self._db.read.fetchall(
            f"SELECT {_POST_COLUMNS} FROM reminder_posts WHERE guild_id = ? AND state IN ({marks}) "
            f"ORDER BY {order} LIMIT ?",
            (guild_id, *(s.value for s in states), limit),
        )
        return [_post(row) for row in rows]

    async def failures(self, guild_id: int, limit: int) -> list[Post]:
        """Posts whose last delivery attempt failed, most recent first."""
        rows = await self._db.read.fetchall(
            f"SELECT {_POST_COLUMNS} FROM reminder_posts WHERE guild_id = ? AND error_at IS NOT NULL "
            "ORDER BY error_at DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_post(row) for row in rows]

    async def counts(self, guild_id: int) -> dict[PostState, int]:
        rows = await self._db.read.fetchall(
            "SELECT state, COUNT(*) FROM reminder_posts WHERE guild_id = ? GROUP BY state", (guild_id,)
        )
        found = {PostState(str(row[0])): int(row[1]) for row in rows}
        return {state: found.get(state, 0) for state in PostState}


@dataclass
class _PlanWrites:
    """The statements' parameters that bring stored posts in line with plans; the rules are in `add`."""

    deletes: list[tuple[object, ...]] = field(default_factory=list)
    inserts: list[tuple[object, ...]] = field(default_factory=list)
    updates: list[tuple[object, ...]] = field(default_factory=list)

    def add(
        self, guild_id: int, stored: Mapping[tuple[str, str], Post], planned: Iterable[PlannedPost], now: int
    ) -> None:
        """New posts are stored only when they are still ahead (a server never gets posts for moments that
        passed before it planned them); pending posts follow their new due time; a post already made is made
        again only when its release was announced for a different moment; pending posts that left the plan (a
        lead time or release removed) are dropped, while finished ones stay as history."""
        wanted = {(p.release_id, p.lead.key): p for p in planned}
        for key, post in stored.items():
            if key not in wanted and post.state is PostState.PENDING:
                self.deletes.append((guild_id, *key))
        for key, plan in wanted.items():
            old = stored.get(key)
            if old is None or (old.state is not PostState.PENDING and old.announced != plan.announced):
                if plan.due_at > now:
                    self.inserts.append(
                        (guild_id, *key, plan.announced, plan.release_at, plan.due_at, plan.due_at, now)
                    )
            elif old.state is PostState.PENDING and (old.due_at, old.release_at, old.announced) != (
                plan.due_at,
                plan.release_at,
                plan.announced,
            ):
                wake = plan.due_at if old.attempts == 0 else max(plan.due_at, old.wake_at)
                self.updates.append(
                    (plan.announced, plan.release_at, plan.due_at, wake, plan.announced, now, guild_id, *key)
                )


def _config(row: Row) -> GuildConfig:
    return GuildConfig(
        guild_id=int(row["guild_id"]),
        channel_id=row["channel_id"],
        role_id=row["role_id"],
        zone=str(row["zone"]),
        lead_times=parse_lead_times(str(row["lead_times"]), ENGLISH),
        template=row["template"],
        enabled=bool(row["enabled"]),
        blocked_reason=row["blocked_reason"],
        blocked_at=row["blocked_at"],
    )


def _post(row: Row) -> Post:
    return Post(
        guild_id=int(row["guild_id"]),
        release_id=str(row["release_id"]),
        lead=parse_lead_time(str(row["lead"]), ENGLISH),
        announced=str(row["announced"]),
        release_at=int(row["release_at"]),
        due_at=int(row["due_at"]),
        wake_at=int(row["wake_at"]),
        state=PostState(str(row["state"])),
        attempts=int(row["attempts"]),
        late=bool(row["late"]),
        message_id=row["message_id"],
        detail=row["detail"],
        error=row["error"],
        error_at=row["error_at"],
        updated_at=int(row["updated_at"]),
        attempted_at=row["attempted_at"],
    )
