"""`Refusal`: a failure written for the person who caused it, raised by code that knows nothing of Discord.

The discord-free layers (the database, schedules, a feature's service) raise a subclass with a message
that says what happened and what to do; `bot.errors.describe_failure` shows it to the member as is, exactly
like a command's `UserError`, so an expected failure never reaches the log as a bug.
"""

from __future__ import annotations


class Refusal(Exception):
    """An expected failure; `str(error)` is the whole message for the member (Discord markdown allowed).

    Raised with a message written in the current language (`bot.i18n._`) or marked to be written when it is
    shown (`bot.i18n._l`), so the member reads it in their own language.
    """
