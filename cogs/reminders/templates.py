"""Reminder text: a moderator's template with placeholders, checked when it is set and rendered for each post.

A template is checked once, at `/reminders template`, so a post can never fail on it later: every
placeholder is known, braces balance, and even with the longest possible values the text fits Discord's
2,000-character message limit.

A template can never ping anyone by itself. The post's `allowed_mentions` allows only the configured role,
and on top of that `@everyone`, `@here` and mention syntax (`<@…>`, `<@&…>`) in the template's text are broken
with a zero-width space (U+200B), so they read the same but neither notify nor render as a mention; the release
and server names are shown as typed (`bot.markup.literal`: their markdown escaped too, so a title with `**` in it
cannot unbalance the template's bold). The only mention a post carries is the one `{role}` puts there; links are
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
from bot.markup import CONTENT_LIMIT, clamp, literal, neutralise, quote
from bot.typed import LINK_LIMIT
from cogs.reminders.timeparse import LeadTime

PLACEHOLDERS = ("release", "when", "countdown", "role", "link", "server")
TEMPLATE_LIMIT = 1000
RELEASE_LIMIT = 100
SERVER_LIMIT = 100
# Translators: the default reminder post; keep each {placeholder} as it is (a moderator's template uses the same).
DEFAULT_TEXT = N_("{role} **{release}**: {when} ({countdown})")

WHEN_LIMIT = 40  # a Discord timestamp (18 characters) or a date in words ("Wed 29 September 2027", ~30 at most)
COUNTDOWN_LIMIT = 24  # a relative Discord timestamp (18) or days in words ("in 3,650 days")
# The longest text each placeholder can become: a 20-digit snowflake, the when and countdown above.
_WORST = {
    "release": RELEASE_LIMIT,
    "when": WHEN_LIMIT,
    "countdown": COUNTDOWN_LIMIT,
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
    """What the placeholders stand for in one post: the release's title, when it comes out and how far away that is
    (`bot.when`, already written), the server's name; `role_id` and `link` may be absent (they render empty)."""

    release: str
    when: str
    countdown: str
    server: str
    role_id: int | None = None
    link: str | None = None


def parse_template(text: str, *, stored: bool = False) -> Template:
    """Check a moderator's template; `{{` and `}}` stand for literal braces.

    A `stored` template was checked when it was set: it is not refused again if a placeholder's longest text
    has grown since (`render` still keeps the post within Discord's limit)."""
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
    if worst > CONTENT_LIMIT and not stored:
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
        "release": literal(values.release, RELEASE_LIMIT),
        "when": clamp(values.when, WHEN_LIMIT),
        "countdown": clamp(values.countdown, COUNTDOWN_LIMIT),
        "role": f"<@&{values.role_id}>" if values.role_id is not None else "",
        "link": link,
        "server": literal(values.server, SERVER_LIMIT),
    }
    pieces = [
        (
            substitutions[p.text] if p.placeholder else p.text,
            p.placeholder and p.text in _INTACT and bool(substitutions[p.text]),
        )
        for p in template.parts
    ]
    runs = groupby(pieces, key=lambda piece: piece[1])
    content = "".join(
        "".join(text for text, _ in run) if intact else neutralise("".join(text for text, _ in run))
        for intact, run in runs
    ).strip()
    return clamp(content, CONTENT_LIMIT)  # only a `stored` template checked against shorter placeholders is cut


def timing_line(lead: LeadTime, when: str, countdown: str, *, late: bool) -> str:
    """The sentence in the post's embed that says where the release stands, in the current language: when it comes
    out, and how far away that is, said once (the footer names the lead time). `when` and `countdown` are written by
    `bot.when`: Discord timestamps for a release with a time, the date and a count of days for one without."""
    if not lead.at_release:
        return _("Comes out {countdown}: {when}.", countdown=countdown, when=when)
    if late:
        return _(
            "Came out {countdown}, on {when}. This reminder could not be posted on time.",
            countdown=countdown,
            when=when,
        )
    return _("Out now: {when}.", when=when)
