"""The interaction state machine: INTERACTION_CREATE payloads, callbacks, ``@original`` and followups.

Per interaction (Discord's rules, reference §9):

* ``created`` → ``acked`` on the first valid callback, only within 3 s of the dispatch; later callbacks get
  ``404 10062 Unknown interaction`` and a second one ``400 40060 Interaction has already been acknowledged``;
* the allowed callback types depend on the interaction type (autocomplete only accepts 8, a modal cannot follow
  a defer, UPDATE_MESSAGE needs a component message);
* ``@original`` exists after a type 4/5 callback, or is the component's message for types 6/7; a type-5
  placeholder (flag 128 LOADING) becomes the real message on the first ``@original`` PATCH or followup;
* followups and ``@original`` work after the ack for 15 minutes from the interaction's snowflake time (measured
  on the emulator clock, so tests can ``fd.clock.advance(901)``), then ``401 50027 Invalid Webhook Token``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from . import errors
from .messages import (
    CHAT_INPUT_COMMAND,
    DEFAULT,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    SETTABLE_FLAGS,
    apply_edit,
    build_message,
)
from .snowflake import snowflake_time
from .state import Channel, Guild, GuildMember, Message, StoredFile, ThreadAction, World

JSON = dict[str, Any]

PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

CALLBACK_NAMES = {
    PONG: "PONG",
    CHANNEL_MESSAGE: "CHANNEL_MESSAGE_WITH_SOURCE",
    DEFERRED_CHANNEL_MESSAGE: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    DEFERRED_UPDATE_MESSAGE: "DEFERRED_UPDATE_MESSAGE",
    UPDATE_MESSAGE: "UPDATE_MESSAGE",
    AUTOCOMPLETE_RESULT: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    MODAL: "MODAL",
}
INTERACTION_NAMES = {
    APPLICATION_COMMAND: "APPLICATION_COMMAND",
    MESSAGE_COMPONENT: "MESSAGE_COMPONENT",
    AUTOCOMPLETE: "APPLICATION_COMMAND_AUTOCOMPLETE",
    MODAL_SUBMIT: "MODAL_SUBMIT",
}

RESPONSE_DEADLINE = 3.0
FollowupRule = Literal["while-loading", "first"]
TOKEN_LIFETIME = timedelta(minutes=15)
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
RESPONSE_FLAGS = SETTABLE_FLAGS | FLAG_EPHEMERAL


@dataclass(eq=False)
class InteractionRecord:
    """One interaction as the emulator tracks it; ``Reply`` objects read it live."""

    id: str
    token: str
    type: int
    guild: Guild
    channel: Channel
    member: GuildMember
    data: JSON
    label: str
    """Human description for error messages: ``/soundtrack track``, ``button 'Next'``, ..."""
    source: Message | None = None
    """The message carrying the component (component interactions and modals opened from one)."""
    payload: JSON = field(default_factory=dict)
    state: str = "created"
    dispatched_at: float | None = None
    deadline: float | None = None
    response_type: int | None = None
    acked_at: float | None = None
    original: Message | None = None
    loading: bool = False
    awaiting_edit: bool = False
    """A DEFERRED_UPDATE_MESSAGE was the last step: Discord documents type 6 as "for components, ACK an interaction
    and edit the original message later; the user does not see a loading state" (Receiving and Responding ›
    Interaction Callback Type), so the member's view is not final until the bot's next step (an edit, a follow-up,
    a deletion). `FakeDiscord._settle` waits for it as it waits out a loading message, however slow the machine."""
    deferred_ephemeral: bool = False
    filled: bool = False
    """Whether a follow-up has taken the place of the type-5 "thinking..." message (see `Interactions.followup`)."""
    followups: list[Message] = field(default_factory=list)
    choices: list[JSON] | None = None
    modal: JSON | None = None
    rejected: list[str] = field(default_factory=list)
    """Callbacks or webhook calls Discord refused (``"400 50035 ..."``), for failure messages."""
    late: list[str] = field(default_factory=list)
    last_activity: float = 0.0
    _activity: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def acked(self) -> bool:
        return self.state == "acked"

    @property
    def elapsed(self) -> float | None:
        if self.acked_at is None or self.dispatched_at is None:
            return None
        return self.acked_at - self.dispatched_at

    def touch(self) -> None:
        self.awaiting_edit = False
        self.last_activity = asyncio.get_running_loop().time()
        self._activity.set()

    async def wait_activity(self, timeout: float) -> None:  # noqa: ASYNC109
        """Sleep until the next callback/edit/followup or ``timeout`` seconds."""
        if timeout <= 0:
            return
        self._activity.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._activity.wait()
        except TimeoutError:
            pass

    def reject(self, error: errors.APIError, what: str) -> None:
        detail = f"{what}: {error.status} {error.code} {error.message}"
        if error.errors:
            detail += f" {_flatten(error.errors)}"
        self.rejected.append(detail)
        self.touch()


def _flatten(tree: JSON, prefix: str = "") -> str:
    parts: list[str] = []
    for key, value in tree.items():
        if key == "_errors" and isinstance(value, list):
            parts.extend(f"{prefix or '(body)'}: {e.get('message')}" for e in value if isinstance(e, dict))
        elif isinstance(value, dict):
            parts.append(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return "; ".join(p for p in parts if p)


class Interactions:
    """Creates interactions and serves the callback/webhook endpoints for them."""

    def __init__(
        self,
        world: World,
        *,
        emit: Callable[[str, JSON], None],
        deadline: float = RESPONSE_DEADLINE,
        followup_rule: FollowupRule = "while-loading",
    ) -> None:
        self.world = world
        self.emit = emit
        self.followup_rule: FollowupRule = followup_rule
        """Which reading of the documented follow-up rule this Discord follows (see `followup`)."""
        """Dispatch a gateway event (MESSAGE_CREATE/UPDATE/DELETE for non-ephemeral messages)."""
        self.deadline = deadline
        self.attachment_size_limit = ATTACHMENT_SIZE_LIMIT
        """Largest file (bytes) Discord accepts in an upload; interactions report it as ``attachment_size_limit``.

        10 MiB is the limit for a guild without boosts; bigger uploads are answered 413 40005."""
        self.by_id: dict[str, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    # -- creation -------------------------------------------------------------------------------------------

    def create(
        self,
        itype: int,
        *,
        guild: Guild,
        channel: Channel,
        member: GuildMember,
        data: JSON,
        label: str,
        source: Message | None = None,
        dm: bool = False,
    ) -> InteractionRecord:
        """A new interaction; ``dm=True`` sends it as Discord does from a DM with the bot (a copy of the message
        there): no ``guild_id``, ``guild`` or ``member``, the ``user`` instead, and a DM channel (type 1)."""
        world = self.world
        record = InteractionRecord(
            id=world.snowflakes.next(),
            token="aW50ZXJhY3Rpb246" + secrets.token_hex(24),
            type=itype,
            guild=guild,
            channel=channel,
            member=member,
            data=data,
            label=label,
            source=source,
        )
        member_perms = channel.permissions_for(member)
        channel_json = channel.to_json()
        channel_json["permissions"] = str(member_perms)
        member_json = member.to_json()
        member_json["permissions"] = str(member_perms)
        payload: JSON = {
            "id": record.id,
            "application_id": world.application_id,
            "type": itype,
            "token": record.token,
            "version": 1,
            "guild_id": guild.id,
            "guild": {"id": guild.id, "locale": guild.preferred_locale, "features": []},
            "channel_id": channel.id,
            "channel": channel_json,
            "member": member_json,
            "app_permissions": str(guild.app_permissions_in(channel)),
            "locale": member.locale,
            "guild_locale": guild.preferred_locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild.id},
            "context": 0,
            "attachment_size_limit": self.attachment_size_limit,
            "data": data,
        }
        if source is not None:
            payload["message"] = dict(source)
        if dm:
            dm_channel = {"id": world.snowflakes.next(), "type": 1, "recipients": [member.user.to_json()]}
            for key in ("guild_id", "guild", "member", "guild_locale"):
                payload.pop(key)
            payload.update(
                user=member.user.to_json(),
                channel=dm_channel,
                channel_id=dm_channel["id"],
                context=1,
                app_permissions=str(channel.permissions_for(member)),
            )
            if source is not None:
                payload["message"] = {**dict(source), "channel_id": dm_channel["id"]}
                payload["message"].pop("guild_id", None)
        record.payload = payload
        self.by_id[record.id] = record
        self.by_token[record.token] = record
        return record

    def mark_dispatched(self, record: InteractionRecord) -> None:
        now = asyncio.get_running_loop().time()
        record.dispatched_at = now
        record.deadline = now + self.deadline
        record.last_activity = now

    def expire(self, record: InteractionRecord) -> None:
        if record.state == "created":
            record.state = "expired"

    # -- POST /interactions/{id}/{token}/callback ---------------------------------------------------------

    def for_callback(self, interaction_id: str, token: str) -> InteractionRecord:
        """The record a callback targets, enforcing unknown/expired (10062) and already-acked (40060)."""
        record = self.by_id.get(interaction_id)
        if record is None or record.token != token:
            raise errors.unknown_interaction()
        now = asyncio.get_running_loop().time()
        if record.state == "created" and record.deadline is not None and now > record.deadline:
            record.state = "expired"
        if record.state == "expired":
            late = errors.unknown_interaction()
            record.late.append(f"callback {now - (record.dispatched_at or now):.2f}s after the dispatch")
            record.reject(late, "late callback")
            raise late
        if record.state == "acked":
            error = errors.already_acknowledged()
            record.reject(error, "second initial response")
            raise error
        return record

    def check_callback_type(self, record: InteractionRecord, body: JSON) -> list[tuple[str, str, str]]:
        """Problems with the callback type for this interaction, as (path, code, message) violations."""
        rtype = body.get("type")
        allowed = {
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {
                CHANNEL_MESSAGE,
                DEFERRED_CHANNEL_MESSAGE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
                MODAL,
            },
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
        }[record.type]
        if record.type == MODAL_SUBMIT and record.source is None:
            allowed = allowed - {DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE}
        if rtype in allowed:
            return []
        kind = INTERACTION_NAMES.get(record.type, str(record.type))
        name = CALLBACK_NAMES.get(rtype, str(rtype)) if isinstance(rtype, int) else repr(rtype)
        return [
            (
                "type",
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Interaction response type {name} is not valid for a {kind} interaction.",
            )
        ]

    def check_thread(self, record: InteractionRecord, body: JSON) -> None:
        """A callback that posts in a thread, or updates a message there, follows the thread's rules
        (`Thread.check_write`): in a locked thread the app without MANAGE_THREADS gets its answer refused, 50083
        "Thread is archived" once the thread is closed (discord-api-docs #6884: "Run a slash command in a thread ...
        Lock the thread as a moderator ... Have the bot respond to the deferred command"; #7707) and 160005 while it
        is open; an archived thread's messages cannot be updated. Private (ephemeral) answers post nothing there."""
        rtype = body.get("type")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        assert isinstance(data, dict)
        if rtype in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE) and not int(data.get("flags") or 0) & FLAG_EPHEMERAL:
            self._thread_rule(record, "post")
        elif rtype == UPDATE_MESSAGE and record.source is not None and not record.source.ephemeral:
            self._thread_rule(record, "edit")

    def _thread_rule(self, record: InteractionRecord, action: ThreadAction) -> None:
        record.channel.check_write(record.guild.bot_member, action)

    def _thread_rule_for(
        self, record: InteractionRecord, message: Message | None, action: ThreadAction, what: str
    ) -> None:
        """`_thread_rule` for a webhook call on ``message`` (None: a new visible message), noted on the record."""
        if message is not None and message.ephemeral:
            return
        try:
            self._thread_rule(record, action)
        except errors.APIError as exc:
            record.reject(exc, what)
            raise

    def apply_callback(
        self, record: InteractionRecord, body: JSON, files: list[StoredFile], *, with_response: bool
    ) -> JSON | None:
        """Acknowledge and perform the callback; returns the ``with_response`` body (None means 204)."""
        rtype = int(body["type"])
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        assert isinstance(data, dict)
        now = asyncio.get_running_loop().time()
        record.state = "acked"
        record.response_type = rtype
        record.acked_at = now
        message: Message | None = None
        if rtype == CHANNEL_MESSAGE:
            message = self._new_response_message(record, data, files)
            record.original = message
        elif rtype == DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._new_response_message(record, {"content": "", "flags": flags}, [], raw_flags=True)
            record.original = message
            record.loading = True
            record.deferred_ephemeral = bool(flags & FLAG_EPHEMERAL)
        elif rtype == DEFERRED_UPDATE_MESSAGE:
            record.original = record.source
        elif rtype == UPDATE_MESSAGE:
            assert record.source is not None
            message = record.source
            apply_edit(self.world, message, data, files=files, flags_mask=SETTABLE_FLAGS)
            record.original = message
            self._emit_update(message)
        elif rtype == AUTOCOMPLETE_RESULT:
            choices = data.get("choices")
            record.choices = [dict(c) for c in choices] if isinstance(choices, list) else []
        elif rtype == MODAL:
            record.modal = dict(data)
        record.touch()
        record.awaiting_edit = rtype == DEFERRED_UPDATE_MESSAGE
        if not with_response:
            return None
        interaction: JSON = {"id": record.id, "type": record.type}
        reply: JSON = {"interaction": interaction}
        if message is not None:
            interaction.update(
                {
                    "response_message_id": message.id,
                    "response_message_loading": rtype == DEFERRED_CHANNEL_MESSAGE,
                    "response_message_ephemeral": message.ephemeral,
                }
            )
            reply["resource"] = {"type": rtype, "message": dict(message)}
        return reply

    def _new_response_message(
        self, record: InteractionRecord, data: JSON, files: list[StoredFile], *, raw_flags: bool = False
    ) -> Message:
        msg_type = CHAT_INPUT_COMMAND if record.type in (APPLICATION_COMMAND, AUTOCOMPLETE) else DEFAULT
        message = build_message(
            self.world,
            record.channel,
            self.world.bot_user,
            data,
            msg_type=msg_type,
            files=files,
            flags_mask=RESPONSE_FLAGS | (FLAG_LOADING if raw_flags else 0),
            extra=self._interaction_extra(record),
        )
        self._store(record, message)
        return message

    def _interaction_extra(self, record: InteractionRecord, *, followup: bool = False) -> JSON:
        user = record.member.user.to_json()
        metadata: JSON = {
            "id": record.id,
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": {"0": record.guild.id},
        }
        if record.type == APPLICATION_COMMAND:
            metadata["name"] = record.data.get("name")
            metadata["command_type"] = record.data.get("type", 1)
        if record.source is not None:
            metadata["interacted_message_id"] = record.source.id
        if followup and record.original is not None:
            metadata["original_response_message_id"] = record.original.id
        extra: JSON = {
            "webhook_id": self.world.application_id,
            "application_id": self.world.application_id,
            "interaction_metadata": metadata,
        }
        if record.type == APPLICATION_COMMAND:
            extra["interaction"] = {"id": record.id, "type": record.type, "name": record.data.get("name"), "user": user}
        return extra

    def _store(self, record: InteractionRecord, message: Message) -> None:
        if message.ephemeral:
            self.world.messages[message.id] = message
            return
        record.channel.admit_post(record.guild.bot_member, join=False)
        self.world.store_message(record.channel, message)
        self.emit("MESSAGE_CREATE", dict(message))

    def _emit_update(self, message: Message) -> None:
        if not message.ephemeral and not message.deleted:
            self.emit("MESSAGE_UPDATE", dict(message))

    # -- /webhooks/{application_id}/{token}... -------------------------------------------------------------

    def for_webhook(self, application_id: str, token: str) -> InteractionRecord:
        """The interaction whose token this is, enforcing ack and the 15-minute lifetime."""
        record = self.by_token.get(token)
        if record is None or application_id != self.world.application_id:
            raise errors.unknown_webhook()
        if self.world.clock.now() > snowflake_time(record.id) + TOKEN_LIFETIME:
            raise errors.invalid_webhook_token()
        if not record.acked:
            raise errors.unknown_webhook()
        return record

    def original(self, record: InteractionRecord) -> Message:
        message = record.original
        if message is None or message.deleted:
            raise errors.unknown_message()
        return message

    def message(self, record: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            return self.original(record)
        for message in [record.original, *record.followups]:
            if message is not None and message.id == message_id and not message.deleted:
                return message
        raise errors.unknown_message()

    def edit(self, record: InteractionRecord, message: Message, body: JSON, files: list[StoredFile]) -> Message:
        first_edit_of_placeholder = record.loading and message is record.original
        self._thread_rule_for(record, message, "edit", f"edit of {message.id}")
        mask = SETTABLE_FLAGS
        apply_edit(self.world, message, body, files=files, flags_mask=mask, mark_edited=not first_edit_of_placeholder)
        if first_edit_of_placeholder:
            message["flags"] = message.flags & ~FLAG_LOADING
            record.loading = False
        self._emit_update(message)
        record.touch()
        return message

    def delete(self, record: InteractionRecord, message: Message) -> None:
        """Delete a response or follow-up. A deleted loading message keeps its interaction waiting for the follow-up
        that would have edited it, which now fails (see `followup`)."""
        self._thread_rule_for(record, message, "delete", f"delete of {message.id}")
        message.deleted = True
        if not message.ephemeral:
            self.emit(
                "MESSAGE_DELETE", {"id": message.id, "channel_id": message.channel_id, "guild_id": record.guild.id}
            )
        record.touch()

    def followup(self, record: InteractionRecord, body: JSON, files: list[StoredFile]) -> Message:
        """Execute-webhook on the interaction token: a new message, except right after a thinking defer.

        Discord documents (Receiving and Responding, "Create Followup Message", and the deferred response type
        5: "ACK an interaction and edit a response later, the user sees a loading state") that after a
        DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE the follow-up endpoint edits the loading message instead of
        creating one: the `flags` of that follow-up, EPHEMERAL included, are ignored and the defer's visibility
        stays (discord-api-docs #2860, #2739). Once that message is deleted, such a follow-up has nothing to
        edit: 404 10008 Unknown Message (discord-api-docs #2739, #3087).

        The documentation can be read two ways, and `followup_rule` picks one, so a bot can be tested under both:
        - ``"while-loading"``: the follow-up edits the message only while it still shows the loading state; once
          it was edited (`PATCH @original`) follow-ups are new messages with their own flags;
        - ``"first"``: the first follow-up after the defer always takes the original's place, even after an
          `@original` edit, and only later ones are new messages.
        """
        placeholder = record.original
        deferred = record.response_type == DEFERRED_CHANNEL_MESSAGE and placeholder is not None
        takes_place = deferred and (record.loading if self.followup_rule == "while-loading" else not record.filled)
        if takes_place:
            assert placeholder is not None
            if placeholder.deleted:
                raise errors.unknown_message()
            edit = {k: v for k, v in body.items() if k != "flags"}
            edit.setdefault("content", "")
            self.edit(record, placeholder, edit, files)
            record.filled = True
            record.followups.append(placeholder)
            return placeholder
        if not int(body.get("flags") or 0) & FLAG_EPHEMERAL:
            self._thread_rule_for(record, None, "post", "followup")
        message = build_message(
            self.world,
            record.channel,
            self.world.bot_user,
            body,
            msg_type=DEFAULT,
            files=files,
            flags_mask=RESPONSE_FLAGS,
            extra=self._interaction_extra(record, followup=True),
        )
        self._store(record, message)
        record.followups.append(message)
        record.touch()
        return message
