"""Fuzzy lookup for autocomplete and free text: typos, partial words, accents and track numbers.

Scoring is rapidfuzz's; this module only prepares the keys once (accent-folded, case-folded) so that each
keystroke costs one vectorised pass over a few hundred short strings.
"""

from __future__ import annotations

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


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-light form used on both sides of every comparison."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return utils.default_process(stripped.replace("'", "").replace("’", ""))


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    item: T
    score: float


def truncate(text: str, limit: int = MAX_NAME) -> str:
    """A name that fits an autocomplete choice or a select option (100 characters, Discord's limit)."""
    return clamp(text, limit)


class Index(Generic[T]):
    """A searchable list of items; `number` lets a bare "3" find track 3."""

    def __init__(
        self,
        items: Iterable[T],
        *,
        key: Callable[[T], str],
        aliases: Callable[[T], Iterable[str]] = lambda _: (),
        number: Callable[[T], int | None] = lambda _: None,
    ) -> None:
        self.items: tuple[T, ...] = tuple(items)
        self._keys: list[str] = []
        self._owner: list[int] = []
        for position, item in enumerate(self.items):
            for text in (key(item), *aliases(item)):
                self._keys.append(fold(text))
                self._owner.append(position)
        self._numbers = {n: i for i, item in enumerate(self.items) if (n := number(item)) is not None}

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

    def resolve(self, text: str, *, exact: Callable[[T], bool]) -> T | None:
        """The one item free text clearly means, or None (the caller then shows suggestions)."""
        for item in self.items:
            if exact(item):
                return item
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
