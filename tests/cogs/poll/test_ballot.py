"""The ballot message stays within Discord's limits by construction."""

from __future__ import annotations

import pytest

from bot.catalogue import UNKNOWN, Confidence, Fact, Track
from cogs.poll.ballot import MAX_MENUS, MENU_SIZE, RankButton, ResetButton, ballot_message

GUILD = 111
OTHER_GUILD = 222


def make_tracks(count: int, *, id_length: int = 0) -> tuple[Track, ...]:
    return tuple(
        Track(
            id=f"t{n}".ljust(id_length, "x"),
            title=f"Track number {n} " + "with a very long title " * 6,
            number=Fact(n, Confidence.MULTI),
            duration_s=UNKNOWN,
            confidence=Confidence.MULTI,
            sources=(),
        )
        for n in range(1, count + 1)
    )


# -- the ballot message stays within Discord's limits by construction ------------------------------------------


@pytest.mark.parametrize(("count", "menus"), [(9, 1), (25, 1), (34, 2), (51, 3), (100, 4), (140, 4)])
def test_ballot_message_fits_discord(count: int, menus: int) -> None:
    embed, view = ballot_message(make_tracks(count, id_length=63))
    rows = view.to_components()
    assert len(rows) == menus + 1 <= 5
    selects = [c for row in rows[:-1] for c in row["components"]]
    assert all(len(s["options"]) <= MENU_SIZE for s in selects)
    assert sum(len(s["options"]) for s in selects) == min(count, MENU_SIZE * MAX_MENUS)
    assert all(len(o["label"]) <= 100 and len(o["value"]) <= 100 for s in selects for o in s["options"])
    assert [c["label"] for c in rows[-1]["components"]] == ["My vote", "Results"]
    custom_ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert len(set(custom_ids)) == len(custom_ids) and all(cid.startswith("hr:poll:") for cid in custom_ids)
    assert ("don't fit in menus" in (embed.description or "")) == (count > MENU_SIZE * MAX_MENUS)


def test_component_ids_stay_within_100_characters() -> None:
    longest_track = make_tracks(1, id_length=63)[0].id
    assert len(RankButton(999_999_999, 3, longest_track).custom_id) <= 100
    assert len(ResetButton(999_999_999, 2**64).custom_id) <= 100
