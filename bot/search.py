"""Fuzzy lookup for autocomplete and free text: typos, partial words, accents and track numbers.

Scoring is rapidfuzz's; this module only prepares the keys once (accent-folded, case-folded) so that each
keystroke costs one vectorised pass over a few hundred short strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process, utils

from bot.markup import clamp

T = TypeVar("T")

MAX_CHOICES = 25  # Discord's limit on autocomplete choices
MAX_NAME = 100  # Discord's limit on a choice's name
MIN_SCORE = 55.0  # below this a candidate is noise, not a suggestion
ACCEPT_SCORE = 80.0  # free text resolves on its own only when the best match is this good ...
ACCEPT_MARGIN = 8.0  # ... and this far ahead of the runner-up


NUMBER_RE = re.compile(r"(?:#|no\.?|n°|nr\.?|number|track|episode|ep\.?)?\s*#?\s*0*(\d{1,4})", re.IGNORECASE)


def typed_number(text: str) -> int | None:
    """The number `text` names the way `Index` reads one ("20", "#20", "track 20"), or None."""
    match = NUMBER_RE.fullmatch(text.strip())
    return int(match[1]) if match is not None else None


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-light form used on both sides of every comparison.

    Text made only of symbols (a title of emoji, "?") has no letters to fold: it is kept as written
    (case-folded, without spaces), so "🔥🔥" finds the "🔥🔥" title and "?" finds nothing.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = utils.default_process(stripped.replace("'", "").replace("’", ""))
    return folded or "".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    item: T
    score: float


def truncate(text: str, limit: int = MAX_NAME) -> str:
    """A name that fits an autocomplete choice or a select option (100 characters, Discord's limit)."""
    return clamp(text, limit)


class Index(Generic[T]):
    """A searchable list of items, offered as autocomplete choices and resolved from whatever Discord sends.

    `key` (and `aliases`) are what fuzzy search matches; `ident` is a choice's value and `name` its name
    (default: the key), cut to Discord's 100 characters; `number` lets "3", "#3" or "track 3" find item 3.
    """

    def __init__(
        self,
        items: Iterable[T],
        *,
        key: Callable[[T], str],
        aliases: Callable[[T], Iterable[str]] = lambda _: (),
        number: Callable[[T], int | None] = lambda _: None,
        ident: Callable[[T], str] = str,
        name: Callable[[T], str] | None = None,
    ) -> None:
        self.items: tuple[T, ...] = tuple(items)
        self.ident = ident
        self.name = name or key
        self._keys: list[str] = []
        self._owner: list[int] = []
        for position, item in enumerate(self.items):
            for text in (key(item), *aliases(item)):
                self._keys.append(fold(text))
                self._owner.append(position)
        self._numbers = {n: i for i, item in enumerate(self.items) if (n := number(item)) is not None}

    def choice_name(self, item: T) -> str:
        """The name an autocomplete choice shows for `item` (within Discord's 100 characters)."""
        return truncate(self.name(item))

    def choices(self, query: str) -> list[tuple[str, str]]:
        """(name, value) pairs for autocomplete, best match first, at most 25 (Discord's limits)."""
        return [(self.choice_name(m.item), self.ident(m.item)) for m in self.search(query)]

    def exact(self, text: str) -> T | None:
        """The item `text` names exactly, in any form Discord may send for a choice or a member may type:
        its value (id), its choice's name (some clients send the name instead of the value), its number
        ("5", "#5", "track 5"), or its key or an alias, folded."""
        typed = text.strip()
        folded = fold(typed)
        checks: list[Callable[[T], bool]] = [
            lambda item: self.ident(item) == typed,
            lambda item: typed in (self.choice_name(item), self.name(item)),
            lambda item: bool(folded) and fold(self.choice_name(item)) == folded,
        ]
        for check in checks:
            found = next((item for item in self.items if check(item)), None)
            if found is not None:
                return found
        number = typed_number(typed)
        if number is not None and number in self._numbers:
            return self.items[self._numbers[number]]
        owners = {self._owner[i] for i, key in enumerate(self._keys) if folded and key == folded}
        return self.items[owners.pop()] if len(owners) == 1 else None

    def search(self, query: str, limit: int = MAX_CHOICES) -> list[Match[T]]:
        """Best matches first; an empty query lists the items in their natural order."""
        folded = fold(query)
        if not folded:
            return [Match(item, 100.0) for item in self.items[:limit]]
        ranked: dict[int, float] = {}
        if folded.isdigit() and int(folded) in self._numbers:
            ranked[self._numbers[int(folded)]] = 101.0
        results = process.extract(
            folded, self._keys, scorer=fuzz.WRatio, processor=None, limit=None, score_cutoff=MIN_SCORE
        )
        for _key, score, key_index in results:
            owner = self._owner[key_index]
            score = float(score) + _prefix_bonus(folded, self._keys[key_index])
            if score > ranked.get(owner, -1.0):
                ranked[owner] = score
        order = sorted(ranked.items(), key=lambda pair: (-pair[1], pair[0]))
        return [Match(self.items[i], s) for i, s in order[:limit]]

    def resolve(self, text: str) -> T | None:
        """The one item `text` means (`exact`, else a clear fuzzy match), or None (the caller shows suggestions)."""
        found = self.exact(text)
        if found is not None:
            return found
        matches = self.search(text, limit=2)
        if not matches or matches[0].score < ACCEPT_SCORE:
            return None
        if len(matches) > 1 and matches[0].score - matches[1].score < ACCEPT_MARGIN:
            return None
        # Autocomplete rewards partial matches; free text must resemble a whole title, so that
        # "rivalry theme remix" is a question (with suggestions), not a confident wrong answer.
        if self._whole_ratio(fold(text), self.items.index(matches[0].item)) < ACCEPT_SCORE:
            return None
        return matches[0].item

    def _whole_ratio(self, folded: str, position: int) -> float:
        keys = [key for key, owner in zip(self._keys, self._owner, strict=True) if owner == position]
        return max((fuzz.ratio(folded, key) for key in keys), default=0.0)

    def suggestions(self, text: str, count: int = 3) -> Sequence[T]:
        return [m.item for m in self.search(text, limit=count)]


def _prefix_bonus(query: str, key: str) -> float:
    """Typing the start of a title is the strongest signal of intent; WRatio alone under-rewards it."""
    if key.startswith(query):
        return 6.0
    if any(word.startswith(query) for word in key.split()):
        return 3.0
    return 0.0
