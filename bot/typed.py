"""What any free text a member types into an option must be, checked once for every option of every command.

Discord lets almost anything through a string option: text that is only spaces (or only invisible
characters), C0/C1 control characters, and, from clients that build JSON by hand, unpaired UTF-16
surrogates, which cannot even be written to the database or sent back to Discord. `text_problem` names
what is wrong with a value; the command tree (`bot.tree.BotTree.interaction_check`) refuses such a value
before any command sees it, naming the option. Length bounds are declared on each option (`max_length`,
enforced by Discord's client and checked by the tests for every option), and what a value means (a date, a
track) is checked by the parser of that kind; `link_problem` is that parser for web addresses.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from bot.i18n import _

INVISIBLE = {"Zs", "Zl", "Zp", "Cf"}  # spaces and format characters (zero-width spaces, direction marks)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be taken as typed text, in words for the member (what follows the option's name, in
    the current language), or None when it can."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return _("contains a broken character (an unpaired surrogate): retype it, or paste it again")
        if category == "Cc":
            code = f"U+{ord(char):04X}"
            return _("contains an invisible control character ({code}): retype it without it", code=code)
    if all(char.isspace() or unicodedata.category(char) in INVISIBLE for char in value):
        return _("is empty once spaces and invisible characters are removed: type some text")
    return None


LINK_LIMIT = 512  # characters in a link a moderator gives (an embed's URL may be 2,048)
_LABEL_RE = re.compile(r"[\w-]{1,63}")


def link_problem(url: str) -> str | None:
    """Why `url` is not a web address Discord will put on an embed (what follows the address in a refusal, in the
    current language), or None when it is.

    The rule is Discord's own (it refuses the whole post otherwise): an absolute `http(s)` URL without spaces,
    whose host has a dot, is not `localhost`, and is made of letters, digits and hyphens (any script).
    """
    problem = None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return _("is not a well-formed web address")
    if len(url) > LINK_LIMIT:
        problem = _("is longer than {limit} characters", limit=LINK_LIMIT)
    elif any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in url):
        problem = _("contains spaces or invisible characters")
    elif parts.scheme.lower() not in ("http", "https") or "://" not in url:
        problem = _("does not start with https:// or http://")
    elif host == "localhost" or host.endswith(".localhost") or "." not in host or port == 0:
        problem = _("does not name a public web server (like example.org)")
    elif not all(_LABEL_RE.fullmatch(label) for label in host.split(".")):
        problem = _("has a server name that is not well formed")
    return problem
