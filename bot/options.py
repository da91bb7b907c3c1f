"""What a moderator types into a command's options, refused the same way by every feature: naming the option.

A parser refuses in its own words (`7x is not a lead time…`, `2026-13-01 is not a date…`); `option_problem` puts
the option's name, as the moderator's Discord shows it, in front. `check_link` is the one check of a typed web address.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UserError
from bot.i18n import _, option_name
from bot.markup import quote
from bot.typed import LINK_LIMIT, link_problem


def option_problem(names: Sequence[str], error: Exception) -> str:
    """What a parser refused (`error`, in its own words), after the option (or the two options) it was typed into;
    in the moderator's language. Each feature's `option` context manager raises it as a `UserError`, naming the
    exceptions its parsers raise."""
    if len(names) == 2:
        return _(
            "`{first}` and `{second}`: {problem}",
            first=option_name(names[0]),
            second=option_name(names[1]),
            problem=str(error),
        )
    return _("`{option}`: {problem}", option=option_name(names[0]), problem=str(error))


def check_link(link: str) -> str:
    """A moderator's link, stripped, if Discord will accept it on an embed (`bot.typed.link_problem`)."""
    typed = link.strip()
    problem = link_problem(typed)
    if problem is not None:
        raise UserError(
            _(
                "`{option}`: {typed} {problem}: give a full web address like https://example.org/party "
                "(at most {limit} characters), or leave it out.",
                option=option_name("link"),
                typed=quote(link),
                problem=problem,
                limit=LINK_LIMIT,
            )
        )
    return typed
