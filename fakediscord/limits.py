"""Hand checks of Discord's documented limits that the OpenAPI spec does not (or cannot) express.

Each check returns violations as ``(path, code, message)``; the server turns them into Discord's
``400 {"code": 50035, "errors": {...}}`` and records them on ``FakeDiscord.violations``. Paths use the same dotted
form Discord uses in its error tree (``embeds.0.fields.3.value``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .locales import LOCALES

JSON = dict[str, Any]
LOCALE_CHOICES = "(" + ", ".join(sorted(LOCALES)) + ")"

COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")
r"""Discord's CHAT_INPUT name rule ``^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`` (lower case where it exists)."""

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_ACTION_ROWS = 5
MAX_COMMANDS_PER_TYPE = 100
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_DESCRIPTION = 1024

ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
SELECT_TYPES = {3, 5, 6, 7, 8}
LABEL = 18
LINK_STYLE = 5
PREMIUM_STYLE = 6

WEB_SCHEMES = ("http", "https")
MEDIA_SCHEMES = ("http", "https", "attachment")
"""Embed media (image, thumbnail, author/footer icons) may also point at an uploaded file: ``attachment://a.png``."""


@dataclass(frozen=True)
class Violation:
    """One broken limit: where, Discord's error code, and the human message."""

    path: str
    code: str
    message: str
    source: str = "limits"
    """``limits`` for hand checks, ``openapi`` for schema validation."""
    method: str = ""
    route: str = ""
    """The route template of the offending request, e.g. ``/channels/{channel_id}/messages``."""

    def __str__(self) -> str:
        return f"{self.method} {self.route}: {self.path}: {self.code} {self.message}".strip()


class _Collector:
    def __init__(self) -> None:
        self.items: list[Violation] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.items.append(Violation(path, code, message))

    def max_len(self, path: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: str, value: Any, low: int, high: int) -> None:
        if isinstance(value, str) and not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def max_items(self, path: str, value: Any, limit: int) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _join(prefix: str, key: str | int) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


# -- messages -------------------------------------------------------------------------------------------------


def check_message(body: JSON, *, prefix: str = "") -> list[Violation]:
    """Limits shared by channel messages, interaction messages, followups and edits."""
    c = _Collector()
    c.max_len(_join(prefix, "content"), body.get("content"), MAX_CONTENT)
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        _check_embeds(c, embeds, prefix)
    components = body.get("components")
    if isinstance(components, list):
        _check_components(c, components, _join(prefix, "components"))
    if "allowed_mentions" in body and body["allowed_mentions"] is not None:
        _check_allowed_mentions(c, body["allowed_mentions"], _join(prefix, "allowed_mentions"))
    if "nonce" in body and body["nonce"] is not None:
        _check_nonce(c, body["nonce"], _join(prefix, "nonce"))
    attachments = body.get("attachments")
    if isinstance(attachments, list):
        base = _join(prefix, "attachments")
        c.max_items(base, attachments, MAX_ATTACHMENTS)
        for i, att in enumerate(attachments):
            if isinstance(att, dict):
                c.max_len(f"{base}.{i}.description", att.get("description"), MAX_ATTACHMENT_DESCRIPTION)
    return c.items


def _check_embeds(c: _Collector, embeds: list[Any], prefix: str) -> None:
    base = _join(prefix, "embeds")
    c.max_items(base, embeds, MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        path = _join(base, i)
        c.max_len(f"{path}.title", embed.get("title"), 256)
        c.max_len(f"{path}.description", embed.get("description"), 4096)
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        fields = embed.get("fields") or []
        c.max_items(f"{path}.fields", fields, 25)
        for j, fld in enumerate(fields):
            if isinstance(fld, dict):
                c.max_len(f"{path}.fields.{j}.name", fld.get("name"), 256)
                c.max_len(f"{path}.fields.{j}.value", fld.get("value"), 1024)
                total += len(fld.get("name") or "") + len(fld.get("value") or "")
        footer = embed.get("footer")
        if isinstance(footer, dict):
            c.max_len(f"{path}.footer.text", footer.get("text"), 2048)
            total += len(footer.get("text") or "")
        author = embed.get("author")
        if isinstance(author, dict):
            c.max_len(f"{path}.author.name", author.get("name"), 256)
            total += len(author.get("name") or "")
        _check_embed_urls(c, embed, path)
    if total > MAX_EMBED_TOTAL:
        c.add(base, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")


def _check_embed_urls(c: _Collector, embed: JSON, path: str) -> None:
    _check_url(c, f"{path}.url", embed.get("url"), WEB_SCHEMES)
    author = embed.get("author")
    if isinstance(author, dict):
        _check_url(c, f"{path}.author.url", author.get("url"), WEB_SCHEMES)
        _check_url(c, f"{path}.author.icon_url", author.get("icon_url"), MEDIA_SCHEMES)
    footer = embed.get("footer")
    if isinstance(footer, dict):
        _check_url(c, f"{path}.footer.icon_url", footer.get("icon_url"), MEDIA_SCHEMES)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if isinstance(media, dict):
            _check_url(c, f"{path}.{key}.url", media.get("url"), MEDIA_SCHEMES)


def url_problem(value: str, schemes: tuple[str, ...] = WEB_SCHEMES) -> tuple[str, str] | None:
    """Discord's answer to an embed URL it refuses, as ``(code, message)``; None if it accepts the URL.

    Discord answers ``URL_TYPE_INVALID_URL`` "Not a well formed URL." for anything that does not parse as an
    absolute URL with a plausible host (whitespace, no scheme, empty host, a host without a dot, ``localhost``)
    and ``URL_TYPE_INVALID_SCHEME`` for another scheme. ``attachment://name`` (when allowed) needs only a name.
    """
    malformed = ("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if not value or any(ch.isspace() for ch in value) or "://" not in value:
        return malformed
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return malformed
    scheme = parts.scheme.lower()
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        return malformed
    if scheme not in schemes:
        allowed = "(" + ", ".join(repr(s) for s in schemes) + ")"
        return "URL_TYPE_INVALID_SCHEME", f'Scheme "{parts.scheme}" is not supported. Scheme must be one of {allowed}.'
    if scheme == "attachment":
        return None if (parts.netloc + parts.path).strip("/") else malformed
    host = (parts.hostname or "").rstrip(".")
    if port == 0 or not host or "." not in host or host == "localhost" or host.endswith(".localhost"):
        return malformed
    labels = host.split(".")
    if any(not label or not re.fullmatch(r"[\w-]+", label) for label in labels):
        return malformed
    return None


def _check_url(c: _Collector, path: str, value: Any, schemes: tuple[str, ...]) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        c.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        return
    problem = url_problem(value, schemes)
    if problem is not None:
        c.add(path, *problem)


def _check_components(c: _Collector, rows: list[Any], base: str) -> None:
    if len(rows) > MAX_ACTION_ROWS and all(isinstance(r, dict) and r.get("type") == ACTION_ROW for r in rows):
        c.add(base, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ACTION_ROWS} or fewer in length.")
    custom_ids: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        path = _join(base, i)
        if row.get("type") != ACTION_ROW:
            _check_component(c, row, path, custom_ids)
            continue
        children = [x for x in row.get("components") or [] if isinstance(x, dict)]
        selects = [x for x in children if x.get("type") in SELECT_TYPES]
        if selects and len(children) > 1:
            c.add(
                f"{path}.components",
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        c.max_items(f"{path}.components", children, 5)
        for j, child in enumerate(children):
            _check_component(c, child, f"{path}.components.{j}", custom_ids)


def _check_component(c: _Collector, comp: JSON, path: str, custom_ids: set[str]) -> None:
    ctype = comp.get("type")
    custom_id = comp.get("custom_id")
    if custom_id is not None:
        c.length_between(f"{path}.custom_id", custom_id, 1, 100)
        if custom_id in custom_ids:
            c.add(f"{path}.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
        custom_ids.add(custom_id)
    if ctype == BUTTON:
        c.max_len(f"{path}.label", comp.get("label"), 80)
        style = comp.get("style")
        if style == LINK_STYLE:
            if not comp.get("url"):
                c.add(f"{path}.url", "BASE_TYPE_REQUIRED", "This field is required")
        elif style != PREMIUM_STYLE and custom_id is None:
            c.add(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
    elif ctype in SELECT_TYPES:
        if custom_id is None:
            c.add(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
        c.max_len(f"{path}.placeholder", comp.get("placeholder"), 150)
        if ctype == STRING_SELECT:
            options = comp.get("options") or []
            c.max_items(f"{path}.options", options, 25)
            for k, opt in enumerate(options):
                if isinstance(opt, dict):
                    c.max_len(f"{path}.options.{k}.label", opt.get("label"), 100)
                    c.max_len(f"{path}.options.{k}.value", opt.get("value"), 100)
                    c.max_len(f"{path}.options.{k}.description", opt.get("description"), 100)
    elif ctype == TEXT_INPUT:
        c.max_len(f"{path}.label", comp.get("label"), 45)
        c.max_len(f"{path}.placeholder", comp.get("placeholder"), 100)
        c.max_len(f"{path}.value", comp.get("value"), 4000)
    elif ctype == LABEL and isinstance(comp.get("component"), dict):
        c.max_len(f"{path}.label", comp.get("label"), 45)
        _check_component(c, comp["component"], f"{path}.component", custom_ids)


def _check_allowed_mentions(c: _Collector, allowed: Any, base: str) -> None:
    if not isinstance(allowed, dict):
        return
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("roles", "users", "everyone"):
            c.add(f"{base}.parse.{i}", "BASE_TYPE_CHOICES", "Value must be one of ('roles', 'users', 'everyone').")
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        c.max_items(f"{base}.{kind}", ids, 100)
        if ids and kind in parse:
            c.add(
                f"{base}.parse",
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def _check_nonce(c: _Collector, nonce: Any, path: str) -> None:
    if isinstance(nonce, bool):
        c.add(path, "BASE_TYPE_BAD_TYPE", "Must be a string or an integer.")
    elif isinstance(nonce, int):
        if not -(2**63) <= nonce < 2**64:
            c.add(path, "NUMBER_TYPE_MAX", "int value should be <= 18446744073709551615")
    elif isinstance(nonce, str):
        c.max_len(path, nonce, 25)


# -- threads --------------------------------------------------------------------------------------------------

AUTO_ARCHIVE_CHOICES = (60, 1440, 4320, 10080)
"""Minutes a thread may stay inactive before it archives (Channel › Thread Metadata)."""


def check_thread(body: JSON, *, creating: bool) -> list[Violation]:
    """A thread's name and archive time, when starting one (Start Thread from Message / without Message) or
    editing it (Modify Channel, JSON Params (Thread)): ``name`` "1-100 character channel name" (required to
    start one), ``auto_archive_duration`` "can be set to: 60, 1440, 4320, 10080". The spec lets an edit's name
    be empty; the documentation does not."""
    c = _Collector()
    name = body.get("name")
    if creating and name is None:
        c.add("name", "BASE_TYPE_REQUIRED", "This field is required")
    elif name is not None and not isinstance(name, str):
        c.add("name", "BASE_TYPE_BAD_TYPE", "Must be a string.")
    else:
        c.length_between("name", name, 1, 100)
    duration = body.get("auto_archive_duration")
    if duration is not None and (isinstance(duration, bool) or duration not in AUTO_ARCHIVE_CHOICES):
        c.add("auto_archive_duration", "BASE_TYPE_CHOICES", f"Value must be one of {AUTO_ARCHIVE_CHOICES}.")
    return c.items


# -- interaction callbacks ------------------------------------------------------------------------------------


def check_callback(body: JSON) -> list[Violation]:
    """Limits of ``POST /interactions/{id}/{token}/callback`` by response type."""
    c = _Collector()
    data = body.get("data")
    if not isinstance(data, dict):
        return c.items
    rtype = body.get("type")
    if rtype in (4, 7):
        c.items.extend(check_message(data, prefix="data"))
    elif rtype == 8:
        choices = data.get("choices") or []
        c.max_items("data.choices", choices, 25)
        for i, choice in enumerate(choices):
            if isinstance(choice, dict):
                c.length_between(f"data.choices.{i}.name", choice.get("name"), 1, 100)
                c.max_len(f"data.choices.{i}.value", choice.get("value"), 100)
    elif rtype == 9:
        c.max_len("data.title", data.get("title"), 45)
        c.length_between("data.custom_id", data.get("custom_id"), 1, 100)
        components = data.get("components") or []
        c.max_items("data.components", components, 5)
        _check_components(c, components, "data.components")
    return c.items


# -- application commands -------------------------------------------------------------------------------------


def check_commands(commands: Any) -> list[Violation]:
    """Limits of the bulk-overwrite command PUT: names, descriptions, option counts, commands per type."""
    c = _Collector()
    if not isinstance(commands, list):
        return c.items
    per_type: dict[int, int] = {}
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            continue
        ctype = int(cmd.get("type") or 1)
        per_type[ctype] = per_type.get(ctype, 0) + 1
        _check_command_node(c, cmd, str(i), is_chat_input=ctype == 1)
    for ctype, count in per_type.items():
        if count > MAX_COMMANDS_PER_TYPE:
            c.add(
                "",
                "APPLICATION_COMMANDS_TOO_MANY",
                f"Maximum number of application commands of type {ctype} reached ({MAX_COMMANDS_PER_TYPE})",
            )
    return c.items


def _valid_chat_input_name(name: Any) -> bool:
    return isinstance(name, str) and COMMAND_NAME.match(name) is not None and name == name.lower()


def _check_name(c: _Collector, path: str, name: Any, *, is_chat_input: bool) -> None:
    if is_chat_input:
        if not _valid_chat_input_name(name):
            c.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    elif not isinstance(name, str) or not 1 <= len(name) <= 32:
        c.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")


def _check_text(c: _Collector, path: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        c.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _localized(c: _Collector, node: JSON, key: str, path: str) -> dict[str, Any]:
    """The valid-locale entries of ``node[key]`` (``name_localizations``...); unknown locales are violations."""
    mapping = node.get(key)
    if not isinstance(mapping, dict):
        return {}
    valid: dict[str, Any] = {}
    for locale, value in mapping.items():
        if locale in LOCALES:
            valid[locale] = value
        else:
            c.add(f"{path}.{key}.{locale}", "BASE_TYPE_CHOICES", f"Value must be one of {LOCALE_CHOICES}.")
    return valid


def _check_localizations(c: _Collector, node: JSON, path: str, *, is_chat_input: bool) -> None:
    """``name_localizations``/``description_localizations`` follow the rules of ``name``/``description``."""
    for locale, value in _localized(c, node, "name_localizations", path).items():
        _check_name(c, f"{path}.name_localizations.{locale}", value, is_chat_input=is_chat_input)
    for locale, value in _localized(c, node, "description_localizations", path).items():
        if is_chat_input:
            _check_text(c, f"{path}.description_localizations.{locale}", value, 1, 100)


def _check_command_node(c: _Collector, node: JSON, path: str, *, is_chat_input: bool) -> None:
    _check_name(c, f"{path}.name", node.get("name"), is_chat_input=is_chat_input)
    if is_chat_input:
        _check_text(c, f"{path}.description", node.get("description"), 1, 100)
    _check_localizations(c, node, path, is_chat_input=is_chat_input)
    options = node.get("options") or []
    c.max_items(f"{path}.options", options, 25)
    for j, opt in enumerate(options):
        if not isinstance(opt, dict):
            continue
        opt_path = f"{path}.options.{j}"
        _check_command_node(c, opt, opt_path, is_chat_input=True)
        choices = opt.get("choices") or []
        c.max_items(f"{opt_path}.choices", choices, 25)
        for k, choice in enumerate(choices):
            if isinstance(choice, dict):
                choice_path = f"{opt_path}.choices.{k}"
                for locale, value in _localized(c, choice, "name_localizations", choice_path).items():
                    _check_text(c, f"{choice_path}.name_localizations.{locale}", value, 1, 100)
        if choices and opt.get("autocomplete"):
            c.add(
                f"{opt_path}.autocomplete",
                "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES",
                "Autocomplete cannot be enabled on options with choices",
            )
    required_seen_optional = False
    for j, opt in enumerate(options):
        if isinstance(opt, dict) and opt.get("type") not in (1, 2):
            if opt.get("required"):
                if required_seen_optional:
                    c.add(
                        f"{path}.options.{j}.required",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                required_seen_optional = True


# -- error tree -------------------------------------------------------------------------------------------------


def error_tree(violations: list[Violation]) -> JSON:
    """Nest violations the way Discord does: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""
    tree: JSON = {}
    for v in violations:
        node = tree
        for part in (p for p in v.path.split(".") if p):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": v.code, "message": v.message})
    return tree
