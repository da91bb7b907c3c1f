"""The test-facing client: a guild member who runs slash commands, clicks buttons, picks options, fills modals.

Each action sends the interaction the real Discord client would send (built from what the bot registered and
from the message the bot posted) and returns a ``Reply`` that reads the interaction's state live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import permissions as perms
from .commands import (
    CommandNotAvailable,
    Resolved,
    ResolvedCommand,
    build_data,
    canonical_values,
    convert_option,
    find_command,
)
from .errors import APIError
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
)
from .locales import checked_locale
from .messages import build_message
from .state import Channel, Guild, GuildMember, Message, Role, Thread, User

if TYPE_CHECKING:
    from .core import FakeDiscord

JSON = dict[str, Any]

BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
USER_SELECT = 5
ROLE_SELECT = 6
MENTIONABLE_SELECT = 7
CHANNEL_SELECT = 8
SELECT_TYPES = (STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT)
LABEL = 18
LINK_STYLE = 5


@dataclass(frozen=True)
class Pick:
    """An option value typed as ``partial`` and then chosen from the bot's autocomplete suggestions.

    ``member.run("/soundtrack track", track=pick("rivl"))`` types "rivl", waits for the suggestions and selects
    the first (``index``) one, so the command receives that choice's value. A plain ``track="rivl"`` is what
    Discord sends when the user presses Enter without picking a suggestion: the typed text.
    """

    partial: str
    index: int = 0


def pick(partial: str, index: int = 0) -> Pick:
    """See ``Pick``: type ``partial`` into an autocomplete option, then select suggestion ``index``."""
    return Pick(partial, index)


@dataclass(frozen=True)
class Mentions:
    """Who the reply's visible messages would notify."""

    users: list[str]
    """Ids of notified users."""
    roles: list[str]
    """Ids of notified roles."""
    everyone: bool
    """True if an @everyone/@here ping went out."""

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone)


class Reply:
    """The outcome of an interaction; properties read the interaction's current state."""

    def __init__(self, fd: FakeDiscord, record: InteractionRecord) -> None:
        self._fd = fd
        self.record = record
        self.autocomplete_choices: list[JSON] | None = None
        """Choices of the autocomplete round trip ``run()`` made (the last one if several options autocomplete)."""
        self.autocomplete: dict[str, list[JSON]] = {}
        """Autocomplete choices per option name."""

    def __repr__(self) -> str:
        kind = self.response_type
        return (
            f"<Reply {self.record.label} type={kind} ephemeral={self.ephemeral} content={self.content!r} "
            f"followups={len(self.followups)}>"
        )

    @property
    def interaction_id(self) -> str:
        return self.record.id

    @property
    def response_type(self) -> int | None:
        """The initial callback type (4 message, 5 defer, 6 deferred update, 7 update, 8 choices, 9 modal)."""
        return self.record.response_type

    @property
    def message(self) -> Message | None:
        """The message this interaction produced or updated (``@original``), or None (modal, autocomplete).

        When the bot deleted ``@original`` and followed up instead (a public "thinking…" replaced by a private
        answer), the member reads the first follow-up as the answer, so that is returned.
        """
        message = self.record.original
        if message is None or message.deleted:
            return next((m for m in self.record.followups if not m.deleted), None)
        return message

    @property
    def content(self) -> str:
        message = self.message
        return message.content if message is not None else ""

    @property
    def embeds(self) -> list[JSON]:
        message = self.message
        return message.embeds if message is not None else []

    @property
    def components(self) -> list[JSON]:
        message = self.message
        return message.components if message is not None else []

    @property
    def ephemeral(self) -> bool:
        message = self.message
        if message is not None:
            return message.ephemeral
        return self.record.deferred_ephemeral

    @property
    def followups(self) -> list[Message]:
        return [m for m in self.record.followups if not m.deleted]

    @property
    def messages(self) -> list[Message]:
        """The ``@original`` message (if any) followed by the followups, without duplicates."""
        out: list[Message] = []
        for message in [self.message, *self.followups]:
            if message is not None and all(message is not m for m in out):
                out.append(message)
        return out

    @property
    def elapsed(self) -> float | None:
        """Seconds from the dispatch to the initial callback."""
        return self.record.elapsed

    @property
    def deferred(self) -> bool:
        return self.record.response_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def loading(self) -> bool:
        """Still showing "<bot> is thinking..." (deferred, not yet edited)."""
        return self.record.loading

    @property
    def modal(self) -> JSON | None:
        """The modal the bot opened (``{"custom_id", "title", "components"}``), if it answered with one."""
        return self.record.modal

    @property
    def rejected(self) -> list[str]:
        """Responses Discord refused (e.g. ``callback type 4: 400 50035 ...``)."""
        return list(self.record.rejected)

    @property
    def mentions(self) -> Mentions:
        users: list[str] = []
        roles: list[str] = []
        everyone = False
        for message in self.messages:
            if message.ephemeral or message.flags & 128:
                continue
            users += [u for u in message.mentioned_user_ids if u not in users]
            roles += [r for r in message.mentioned_role_ids if r not in roles]
            everyone = everyone or message.mention_everyone
        return Mentions(users, roles, everyone)

    async def followed(self, timeout: float = 10.0) -> Reply:  # noqa: ASYNC109
        """Wait (up to ``timeout``) for the reply's first follow-up, and return the reply.

        For a bot in another process (`FakeDiscord.busy` cannot see its work) that updates a component's message
        and then answers privately: whether a follow-up comes is the application's business, so the emulator's
        quiet period cannot tell; the test that expects one says so. Raises AssertionError if none comes."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not self.record.followups:
            if loop.time() >= end:
                raise AssertionError(f"no follow-up within {timeout} s: {self!r}")
            await self.record.wait_activity(end - loop.time())
        await self.wait(timeout=max(0.0, end - loop.time()))
        return self

    async def wait(self, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """Wait (up to ``timeout``) until the bot stops editing/following up and any "thinking" is resolved."""
        await self._fd._settle(self.record, max_wait=timeout, from_now=True)
        return self


def _walk(components: Sequence[Any]) -> Iterator[JSON]:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        yield comp
        for key in ("components",):
            children = comp.get(key)
            if isinstance(children, list):
                yield from _walk(children)
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                yield from _walk([child])


def _describe(components: Sequence[Any]) -> str:
    found = []
    for comp in _walk(components):
        if comp.get("type") == BUTTON:
            found.append(f"button {comp.get('label')!r} ({comp.get('custom_id') or comp.get('url')})")
        elif comp.get("type") in SELECT_TYPES:
            found.append(f"select {comp.get('custom_id')!r}")
    return ", ".join(found) or "no components"


class Member:
    """A human guild member driven by the test (``guild.add_member(...)`` returns one)."""

    def __init__(self, fd: FakeDiscord, record: GuildMember) -> None:
        self._fd = fd
        self.record = record

    def __repr__(self) -> str:
        return f"<Member {self.name} id={self.id} guild={self.guild.name!r}>"

    @property
    def id(self) -> str:
        return self.record.user.id

    @property
    def name(self) -> str:
        return self.record.user.username

    @property
    def user(self) -> User:
        return self.record.user

    @property
    def guild(self) -> Guild:
        return self.record.guild

    @property
    def mention(self) -> str:
        return self.record.mention

    @property
    def roles(self) -> list[Role]:
        """The member's current roles (without @everyone), including those the bot added or removed."""
        return self.record.roles

    @property
    def locale(self) -> str:
        """The member's client language, sent as ``locale`` in their interactions (default ``en-US``)."""
        return self.record.locale

    @locale.setter
    def locale(self, value: str) -> None:
        self.record.locale = checked_locale(value)

    def add_role(self, role: Role) -> None:
        """Give the member a role (dispatches GUILD_MEMBER_UPDATE)."""
        if role.id not in self.record.role_ids:
            self.record.role_ids.append(role.id)
            self._member_update()

    def remove_role(self, role: Role) -> None:
        if role.id in self.record.role_ids:
            self.record.role_ids.remove(role.id)
            self._member_update()

    def _member_update(self) -> None:
        data = self.record.to_json()
        data["guild_id"] = self.guild.id
        self._fd.dispatch("GUILD_MEMBER_UPDATE", data)

    def permissions_in(self, channel: Channel) -> int:
        return channel.permissions_for(self.record)

    # -- messages -------------------------------------------------------------------------------------------

    async def send(self, content: str, *, channel: Channel | None = None) -> Message:
        """Post a plain message as this member (dispatches MESSAGE_CREATE to the bot).

        ``channel`` may be a thread: the member needs SEND_MESSAGES_IN_THREADS there, an archived thread
        unarchives and the member joins it, and a locked one refuses them without MANAGE_THREADS (`Thread.admit_post`).
        """
        channel = channel or self.guild.system_channel
        need = perms.VIEW_CHANNEL | channel.send_permission
        if channel.permissions_for(self.record) & need != need:
            raise AssertionError(f"{self.name} cannot send messages in #{channel.name}")
        try:
            channel.admit_post(self.record)
        except APIError as exc:
            raise AssertionError(f"{self.name} cannot send messages in #{channel.name}: {exc}") from None
        fd = self._fd
        message = build_message(fd.world, channel, self.user, {"content": content})
        fd.world.store_message(channel, message)
        if not isinstance(channel, Thread) or channel.bot_can_view:
            await fd.gateway.dispatch("MESSAGE_CREATE", dict(message))
        return message

    # -- slash commands -------------------------------------------------------------------------------------

    async def run(
        self,
        command: str,
        /,
        *,
        channel: Channel | None = None,
        options: Mapping[str, Any] | None = None,
        pasted: bool = False,
        **values: Any,
    ) -> Reply:
        """Invoke a registered slash command (``"/name [group] [sub]"``) with typed option values.

        ``channel`` is where the command is run (default: the guild's system channel); an option that is itself
        named ``channel`` (or clashes with ``options``) goes in ``options={...}``. Autocomplete-enabled options are
        first autocompleted with the given value as the partial input (see ``Reply.autocomplete_choices``); the
        command then receives the typed value, as when a user presses Enter, unless it is ``pick("partial")``,
        which selects a suggestion. ``pasted=True``: the member pastes the values and presses Enter before Discord
        asked the bot for any suggestion (no autocomplete round trip). Raises ``AssertionError`` if the command is unknown, an option is wrong, or
        the bot does not answer within 3 s ("This interaction failed").
        """
        fd = self._fd
        channel = self._command_channel(channel)
        all_values = {**values, **(options or {})}
        resolved_cmd = find_command(fd.world, self.guild, self.record, command)
        all_values = canonical_values(resolved_cmd, self.record.locale, all_values)
        autocomplete: dict[str, list[JSON]] = {}
        typed = {k: v.partial if isinstance(v, Pick) else v for k, v in all_values.items()}
        for option in resolved_cmd.leaf_options:
            name = str(option["name"])
            value = all_values.get(name)
            if isinstance(value, Pick) and (pasted or not option.get("autocomplete")):
                raise AssertionError(f"option {name!r} of {resolved_cmd.display} has no autocomplete to pick from")
            if option.get("autocomplete") and name in all_values and not pasted:
                choices = await self._autocomplete(resolved_cmd, name, typed, channel)
                autocomplete[name] = choices
                if isinstance(value, Pick):
                    if not 0 <= value.index < len(choices):
                        raise AssertionError(
                            f"cannot pick suggestion {value.index} for {value.partial!r} in option {name!r} of "
                            f"{resolved_cmd.display}: the bot suggested {[c.get('name') for c in choices]}"
                        )
                    all_values[name] = typed[name] = choices[value.index]["value"]
        data = build_data(fd.world, self.guild, self.record, resolved_cmd, all_values)
        record = fd.interactions.create(
            APPLICATION_COMMAND,
            guild=self.guild,
            channel=channel,
            member=self.record,
            data=data,
            label=resolved_cmd.display,
        )
        await fd._run(record)
        reply = Reply(fd, record)
        reply.autocomplete = autocomplete
        if autocomplete:
            reply.autocomplete_choices = list(autocomplete.values())[-1]
        return reply

    async def autocomplete(
        self,
        command: str,
        option: str,
        partial: str,
        /,
        *,
        channel: Channel | None = None,
        options: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> list[JSON]:
        """Type ``partial`` into ``option`` and return the choices the bot offers (``[{"name", "value"}]``)."""
        fd = self._fd
        channel = self._command_channel(channel)
        resolved_cmd = find_command(fd.world, self.guild, self.record, command)
        option = next(iter(canonical_values(resolved_cmd, self.record.locale, {option: None})))
        all_values = canonical_values(resolved_cmd, self.record.locale, {**values, **(options or {}), option: partial})
        return await self._autocomplete(resolved_cmd, option, all_values, channel)

    def _command_channel(self, channel: Channel | None) -> Channel:
        channel = channel or self.guild.system_channel
        if channel.guild is not self.guild:
            raise AssertionError(f"#{channel.name} is not in {self.guild.name!r}, where {self.name} is a member")
        needed = perms.VIEW_CHANNEL | perms.USE_APPLICATION_COMMANDS
        if self.permissions_in(channel) & needed != needed:
            raise CommandNotAvailable(f"{self.name} cannot use application commands in #{channel.name}")
        if isinstance(channel, Thread) and channel.archived:
            # Threads topic: "Users cannot edit messages, add reactions, use application commands, or join archived
            # threads."
            raise CommandNotAvailable(f"#{channel.name} is an archived thread: application commands cannot be used")
        return channel

    async def _autocomplete(
        self, resolved_cmd: ResolvedCommand, option: str, values: Mapping[str, Any], channel: Channel
    ) -> list[JSON]:
        fd = self._fd
        data = build_data(fd.world, self.guild, self.record, resolved_cmd, values, focused=option)
        record = fd.interactions.create(
            AUTOCOMPLETE,
            guild=self.guild,
            channel=channel,
            member=self.record,
            data=data,
            label=f"autocomplete of option {option!r} of {resolved_cmd.display}",
        )
        await fd._run(record, failure="Discord shows 'Loading options failed'")
        return list(record.choices or [])

    # -- components -----------------------------------------------------------------------------------------

    def _messages_of(self, target: Reply | Message | JSON) -> list[Message]:
        if isinstance(target, Reply):
            candidates = [target.message, *reversed(target.followups)]
            return [m for m in candidates if m is not None]
        if isinstance(target, Message):
            return [target]
        stored = self._fd.world.messages.get(str(target.get("id")))
        if stored is None:
            raise AssertionError(f"unknown message {target.get('id')!r}")
        return [stored]

    def _find_component(self, target: Reply | Message | JSON, match: Any, what: str) -> tuple[Message, JSON]:
        messages = self._messages_of(target)
        for message in messages:
            if message.deleted:
                continue
            for comp in _walk(message.components):
                if match(comp):
                    self._check_can_see(message)
                    return message, comp
        seen = "; ".join(f"message {m.id}: {_describe(m.components)}" for m in messages) or "no message"
        raise AssertionError(f"no {what} found ({seen})")

    def _check_can_see(self, message: Message) -> None:
        if message.ephemeral:
            owner = ((message.get("interaction_metadata") or {}).get("user") or {}).get("id")
            if owner is not None and owner != self.id:
                raise AssertionError(f"{self.name} cannot see the ephemeral message {message.id}")

    async def click(self, target: Reply | Message | JSON, label: str, /, *, dm: bool = False) -> Reply:
        """Press the button whose label (or custom_id) is ``label`` on the reply's/message's components.

        ``dm=True``: press it on a copy of the message in a DM with the bot (the interaction has no guild).
        """

        def match(comp: JSON) -> bool:
            return comp.get("type") == BUTTON and label in (comp.get("label"), comp.get("custom_id"))

        message, button = self._find_component(target, match, f"button {label!r}")
        if button.get("disabled"):
            raise AssertionError(f"button {label!r} is disabled")
        if button.get("style") == LINK_STYLE or button.get("custom_id") is None:
            raise AssertionError(f"button {label!r} is a link/premium button: clicking it sends no interaction")
        data = {"custom_id": button["custom_id"], "component_type": BUTTON}
        return await self._component(message, data, f"button {label!r}", dm=dm)

    async def select(
        self,
        target: Reply | Message | JSON,
        values: Sequence[Any],
        custom_id: str | None = None,
    ) -> Reply:
        """Pick ``values`` in a select menu (the only one on the message, or the one with ``custom_id``)."""

        def match(comp: JSON) -> bool:
            return comp.get("type") in SELECT_TYPES and custom_id in (None, comp.get("custom_id"))

        message, select = self._find_component(target, match, f"select {custom_id or ''}".strip())
        if custom_id is None:
            selects = [
                c
                for m in self._messages_of(target)
                if m is message
                for c in _walk(m.components)
                if c.get("type") in SELECT_TYPES
            ]
            if len(selects) > 1:
                raise AssertionError(f"message {message.id} has {len(selects)} selects; pass custom_id=")
        if select.get("disabled"):
            raise AssertionError(f"select {select.get('custom_id')!r} is disabled")
        data = self._select_data(select, values)
        return await self._component(message, data, f"select {select.get('custom_id')!r}")

    def _select_data(self, select: JSON, values: Sequence[Any]) -> JSON:
        kind = int(select["type"])
        low = int(select.get("min_values", 1))
        high = int(select.get("max_values", 1))
        cid = select.get("custom_id")
        if not low <= len(values) <= high:
            raise AssertionError(f"select {cid!r} takes {low}..{high} values; got {len(values)}")
        data: JSON = {"custom_id": cid, "component_type": kind}
        if kind == STRING_SELECT:
            allowed = [str(o.get("value")) for o in select.get("options") or []]
            for value in values:
                if str(value) not in allowed:
                    raise AssertionError(f"select {cid!r} has no option {value!r}; options: {allowed}")
            data["values"] = [str(v) for v in values]
            return data
        resolved = Resolved()
        otype = {USER_SELECT: 6, ROLE_SELECT: 8, MENTIONABLE_SELECT: 9, CHANNEL_SELECT: 7}[kind]
        option: JSON = {"type": otype, "name": str(cid)}
        if kind == CHANNEL_SELECT and select.get("channel_types"):
            option["channel_types"] = select["channel_types"]
        ids = [convert_option(self._fd.world, self.guild, self.record, "select", option, v, resolved) for v in values]
        data["values"] = [str(i) for i in ids]
        data["resolved"] = resolved.to_json()
        return data

    async def _component(self, message: Message, data: JSON, label: str, *, dm: bool = False) -> Reply:
        fd = self._fd
        channel = fd.world.channels.get(message.channel_id)
        if channel is None:
            raise AssertionError(f"message {message.id} is not in a known channel")
        if not channel.guild.has_bot:
            raise AssertionError(
                f"{label} on message {message.id}: the bot is not a member of {channel.guild.name!r} (only its "
                "commands are installed there), so its components cannot be used"
            )
        record = fd.interactions.create(
            MESSAGE_COMPONENT,
            guild=channel.guild,
            channel=channel,
            member=self.record,
            data=data,
            label=label,
            source=message,
            dm=dm,
        )
        await fd._run(record)
        return Reply(fd, record)

    # -- modals -------------------------------------------------------------------------------------------

    async def submit_modal(self, target: Reply | JSON, values: Mapping[str, Any]) -> Reply:
        """Fill the modal the bot opened (``{text_input_custom_id: "text"}``) and submit it."""
        fd = self._fd
        if isinstance(target, Reply):
            modal = target.modal
            origin: InteractionRecord | None = target.record
            if modal is None:
                raise AssertionError(
                    f"{target.record.label} did not open a modal (response type {target.response_type})"
                )
        else:
            modal, origin = target, None
        remaining = dict(values)
        components = [self._modal_component(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise AssertionError(f"modal {modal.get('title')!r} has no field(s) {sorted(remaining)}")
        data = {"custom_id": modal.get("custom_id"), "components": [c for c in components if c is not None]}
        source = origin.source if origin is not None else None
        channel = origin.channel if origin is not None else self.guild.system_channel
        record = fd.interactions.create(
            MODAL_SUBMIT,
            guild=self.guild,
            channel=channel,
            member=self.record,
            data=data,
            label=f"modal {modal.get('title')!r}",
            source=source,
        )
        await fd._run(record)
        return Reply(fd, record)

    def _modal_component(self, comp: JSON, remaining: dict[str, Any]) -> JSON | None:
        ctype = comp.get("type")
        if ctype == 1:
            children = [self._modal_component(c, remaining) for c in comp.get("components") or []]
            return {"type": 1, "components": [c for c in children if c is not None]}
        if ctype == LABEL and isinstance(comp.get("component"), dict):
            inner = self._modal_component(comp["component"], remaining)
            return {"type": LABEL, "component": inner} if inner is not None else None
        cid = comp.get("custom_id")
        if cid is None:
            return None
        label = comp.get("label") or cid
        if ctype == TEXT_INPUT:
            value = str(remaining.pop(cid, comp.get("value") or ""))
            if comp.get("required", True) and not value:
                raise AssertionError(f"modal field {label!r} ({cid}) is required")
            low, high = comp.get("min_length"), comp.get("max_length")
            if value and low is not None and len(value) < int(low):
                raise AssertionError(f"modal field {label!r} needs at least {low} characters")
            if high is not None and len(value) > int(high):
                raise AssertionError(f"modal field {label!r} allows at most {high} characters")
            return {"type": TEXT_INPUT, "custom_id": cid, "value": value}
        if ctype in SELECT_TYPES:
            picked = remaining.pop(cid, [])
            picked = [picked] if isinstance(picked, str) else list(picked)
            data = (
                self._select_data(comp, picked)
                if picked or comp.get("required", True)
                else {"custom_id": cid, "component_type": ctype, "values": []}
            )
            out: JSON = {"type": ctype, "custom_id": cid, "values": data["values"]}
            return out
        return None
