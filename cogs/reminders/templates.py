"""Reminder text: a moderator's template with placeholders, checked when it is set and rendered for each post.

A template is checked once, at `/reminders template`, so a post can never fail on it later: every
placeholder is known, braces balance, and even with the longest possible values the text fits Discord's
2,000-character message limit.

A template can never ping anyone by itself. The post's `allowed_mentions` allows only the configured role,
and on top of that `@everyone`, `@here` and mention syntax (`<@…>`, `<@&…>`) in the template's text and in
the release and server names are broken with a zero-width space (U+200B), so they read the same but neither
notify nor render as a mention. The only mention a post carries is the one `{role}` puts there; links are
left intact because a zero-width space would break them.

The default template and the post's timing line are written in the post's language (the server's: the caller
renders the post inside `bot.i18n.using`); a moderator's own template is never translated. A refusal is written
in the moderator's language.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from itertools import groupby

from bot.i18n import N_, _, current
from bot.markup import CONTENT_LIMIT, clamp, discord_timestamp, neutralise, quote
from bot.typed import LINK_LIMIT
from cogs.reminders.timeparse import LeadTime

PLACEHOLDERS = ("release", "when", "countdown", "role", "link", "server")
TEMPLATE_LIMIT = 1000
RELEASE_LIMIT = 100
SERVER_LIMIT = 100
# Translators: the default reminder post; keep each {placeholder} as it is (a moderator's template uses the same).
DEFAULT_TEXT = N_("{role} **{release}**: {when} ({countdown})")

# The longest text each placeholder can become: a 20-digit snowflake, a 12-digit epoch (year 9999).
_WORST = {
    "release": RELEASE_LIMIT,
    "when": len("<t:253402300799:F>"),
    "countdown": len("<t:253402300799:R>"),
    "role": len("<@&18446744073709551615>"),
    "link": LINK_LIMIT,
    "server": SERVER_LIMIT,
}
_INTACT = ("role", "link")  # the one allowed mention, and URLs, which a zero-width space would break
# Translators: the placeholders a template may use, listed as they are typed: keep each {name} as it is.
_LIST = N_("{release}, {when}, {countdown}, {role}, {link} or {server}")


class TemplateError(ValueError):
    """A template the moderator has to correct; the message names the problem and the fix."""


@dataclass(frozen=True, slots=True)
class _Part:
    text: str  # literal text, or the placeholder's name
    placeholder: bool


@dataclass(frozen=True, slots=True)
class Template:
    """A checked template; build it with `parse_template`, store `text`."""

    text: str
    parts: tuple[_Part, ...]


@dataclass(frozen=True, slots=True)
class Values:
    """What the placeholders stand for in one post; `role_id` and `link` may be absent (they render empty)."""

    release: str
    release_at: int
    server: str
    role_id: int | None = None
    link: str | None = None


def parse_template(text: str) -> Template:
    """Check a moderator's template; `{{` and `}}` stand for literal braces."""
    if not text.strip():
        raise TemplateError(_("The template is empty: give some text, or omit the option to restore the default."))
    if len(text) > TEMPLATE_LIMIT:
        raise TemplateError(
            _(
                "The template is {length} characters long; at most {most} are allowed.",
                length=current().number(len(text)),
                most=current().number(TEMPLATE_LIMIT),
            )
        )
    parts: list[_Part] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith(("{{", "}}"), index):
            literal.append(char)
            index += 2
        elif char == "}":
            raise TemplateError(
                _(
                    "The '}}' at character {position} closes no placeholder: write }}}} for a literal brace.",
                    position=index + 1,
                )
            )
        elif char == "{":
            end = text.find("}", index + 1)
            reopened = text.find("{", index + 1)
            if end == -1 or -1 < reopened < end:
                raise TemplateError(
                    _(
                        "The '{{' at character {position} opens a placeholder that is never closed: "
                        "write {{{{ for a literal brace, or a placeholder like {{release}}.",
                        position=index + 1,
                    )
                )
            name = text[index + 1 : end]
            _check_name(name)
            if literal:
                parts.append(_Part("".join(literal), placeholder=False))
                literal = []
            parts.append(_Part(name, placeholder=True))
            index = end + 1
        else:
            literal.append(char)
            index += 1
    if literal:
        parts.append(_Part("".join(literal), placeholder=False))
    template = Template(text, tuple(parts))
    # Neutralising adds a character where a value meets the text around it, hence the + 2.
    worst = sum(_WORST[p.text] + 2 if p.placeholder else len(neutralise(p.text)) for p in template.parts)
    if worst > CONTENT_LIMIT:
        raise TemplateError(
            _(
                "With a long release title or link this template could reach {length} characters, more than "
                "Discord's {most}: use {{link}} and {{release}} fewer times.",
                length=current().number(worst),
                most=current().number(CONTENT_LIMIT),
            )
        )
    return template


def _check_name(name: str) -> None:
    if name in PLACEHOLDERS:
        return
    shown = quote(name, 40)[1:-1]  # inside braces instead of quotes
    base = re.split(r"[:!.\[]", name, maxsplit=1)[0]
    if base in PLACEHOLDERS:
        raise TemplateError(
            _("{{{shown}}}: placeholders take no format or options; write just {{{base}}}.", shown=shown, base=base)
        )
    close = difflib.get_close_matches(name.strip().lower(), PLACEHOLDERS, n=1)
    if close:
        raise TemplateError(
            _(
                "{{{shown}}} is not a placeholder. Did you mean {{{close}}}? Use {placeholders}; write {{{{ and }}}} "
                "for literal braces.",
                shown=shown,
                close=close[0],
                placeholders=_(_LIST),
            )
        )
    raise TemplateError(
        _(
            "{{{shown}}} is not a placeholder. Use {placeholders}; write {{{{ and }}}} for literal braces.",
            shown=shown,
            placeholders=_(_LIST),
        )
    )


DEFAULT_TEMPLATE = parse_template(DEFAULT_TEXT)


def default_template() -> Template:
    """The default template in the current language (the English one when a translation would not parse)."""
    return _default_template(_(DEFAULT_TEXT))


@cache
def _default_template(text: str) -> Template:
    try:
        return parse_template(text)
    except TemplateError:
        return DEFAULT_TEMPLATE


def render(template: Template, values: Values) -> str:
    """The post's content: within Discord's limit by construction, and with no ping but `{role}`'s.

    The role mention and the link are left intact; every other run of text is neutralised as a whole,
    so text that only forms `@everyone` where a value meets the template ("@{server}") is caught too.
    """
    link = values.link if values.link and len(values.link) <= LINK_LIMIT else ""  # a cut URL would mislead
    substitutions = {
        "release": clamp(neutralise(values.release), RELEASE_LIMIT),
        "when": discord_timestamp(values.release_at, "F"),
        "countdown": discord_timestamp(values.release_at, "R"),
        "role": f"<@&{values.role_id}>" if values.role_id is not None else "",
        "link": link,
        "server": clamp(neutralise(values.server), SERVER_LIMIT),
    }
    pieces = [
        (
            substitutions[p.text] if p.placeholder else p.text,
            p.placeholder and p.text in _INTACT and bool(substitutions[p.text]),
        )
        for p in template.parts
    ]
    runs = groupby(pieces, key=lambda piece: piece[1])
    return "".join(
        "".join(text for text, _ in run) if intact else neutralise("".join(text for text, _ in run))
        for intact, run in runs
    ).strip()


def timing_line(lead: LeadTime, release_at: int, *, late: bool) -> str:
    """The sentence in the post's embed that says where the release stands, true whenever it is read (in the
    current language; Discord writes the timestamps in each reader's)."""
    when = f"{discord_timestamp(release_at, 'R')} ({discord_timestamp(release_at, 'F')})"
    if not lead.at_release:
        return _("{lead} to go: out {when}.", lead=lead, when=when)
    if late:
        return _("Came out {when}. This reminder could not be posted on time.", when=when)
    return _("Out now: {when}.", when=discord_timestamp(release_at, "F"))
