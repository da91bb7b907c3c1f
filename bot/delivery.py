"""Exactly-once posting, without Discord: what a failed post means, when to try again, and the nonce of a post.

Every feature that posts on its own schedule (reminders, listening parties) delivers the same way:

- every attempt at one post carries the same nonce (`nonce`, derived from a key that names the post and never
  changes), so Discord returns the message it already made instead of making a second one when a retry follows a
  lost answer or a crash (Discord's "Create Message": `enforce_nonce`, remembered for a few minutes);
- a post is recorded as made only after Discord accepted it;
- a post attempted before a crash, longer ago than Discord remembers nonces, is first looked for in the channel
  (`bot.send.find_sent`, which needs Read Message History);
- a refusal is classified once (`Failure`, by `bot.send.post_once`), and each feature decides what its kinds mean
  for it: the reminders block the server on `BLOCKED`, retry `RATE_LIMITED` and `TRANSIENT` after
  `retry_delay`, and give up on `REJECTED` or after `MAX_ATTEMPTS`.

A reason is marked (`_l`): stored and logged in English, and told to a server's moderators in its language.
"""

from __future__ import annotations

import hashlib
import math
from enum import StrEnum

from bot.i18n import ENGLISH, Text

NONCE_LENGTH = 25  # Discord's longest nonce
RETRY_BASE_S = 30  # after discord.py's own retries failed: 30 s, 1 min, 2 min, ... up to RETRY_MAX_S
RETRY_MAX_S = 30 * 60
MAX_ATTEMPTS = 8
# After downtime (the README's "After downtime"): a post for a moment is made late only within the grace period,
# saying it is late once it is later than ON_TIME_S; anything older is recorded as skipped, with the reason.
DEFAULT_GRACE_S = 12 * 3600
ON_TIME_S = 10 * 60  # a post this close to its due time is "on time": dispatch, retries and rate limits take a while


class Failure(StrEnum):
    """What to do about a post Discord did not take."""

    BLOCKED = "blocked"  # 403/404: the channel is gone or the bot may not post there; a moderator must act
    RATE_LIMITED = "rate_limited"  # 429 after discord.py's own retries: back in the queue, at the pacer's rate
    TRANSIENT = "transient"  # 5xx, network: try again later, with growing delays
    REJECTED = "rejected"  # any other refusal: this post will never be accepted


class DeliveryError(Exception):
    """Discord did not take the post; `kind` says what to do about it, `retry_after` (seconds) when to.

    `reason` is what is stored and logged (English); `text` what the server's moderators are told, marked to be
    written in their language when it is a `Text`.
    """

    def __init__(self, kind: Failure, reason: str | Text, *, retry_after: float | None = None) -> None:
        self.reason = reason if isinstance(reason, str) else reason.render(ENGLISH)
        super().__init__(self.reason)
        self.kind = kind
        self.text = reason
        self.retry_after = retry_after


def nonce(*key: object) -> str:
    """The same `NONCE_LENGTH` characters for every attempt at the post `key` names (its parts joined by ':')."""
    identity = ":".join(str(part) for part in key)
    return hashlib.sha256(identity.encode()).hexdigest()[:NONCE_LENGTH]


def retry_delay(error: DeliveryError, attempts: int) -> int:
    """Seconds until the next attempt after `error`, `attempts` having failed before it: a rate limit is due again
    at once (the pacer spaces it out, and Discord's `retry_after` is honoured); anything else waits longer each
    time, from `RETRY_BASE_S` up to `RETRY_MAX_S`."""
    asked = math.ceil(error.retry_after or 0)
    if error.kind is Failure.RATE_LIMITED:
        return asked
    return max(min(RETRY_MAX_S, int(RETRY_BASE_S * 2**attempts)), asked)
