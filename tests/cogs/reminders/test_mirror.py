"""The events mirror's rules, without Discord: what each release's event shows and which calls bring it there."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import Confidence, Release, Source
from bot.i18n import language, using
from cogs.reminders.mirror import (
    DESCRIPTION_LIMIT,
    LOCATION_LIMIT,
    NAME_LIMIT,
    START_MARGIN_S,
    EventShape,
    EventState,
    Field,
    MirroredEvent,
    Step,
    edit,
    field_value,
    shape_of,
    steps,
    taking,
    turn_off,
    wanted,
)

NOW = 1_800_000_000
UTC = ZoneInfo("UTC")


def release(release_id: str = "own:1", *, day: dt.date | None = dt.date(2027, 3, 1), **fields: object) -> Release:
    values: dict[str, object] = {
        "id": release_id, "title": "Listening party", "kind": "event", "date": day, "time": None, "zone": None,
        "link": None, "description": None, "status": None, "confidence": Confidence.UNKNOWN, "sources": (),
    }  # fmt: skip
    values.update(fields)
    return Release(**values)  # type: ignore[arg-type]


def shape(start: int, name: str = "Listening party") -> EventShape:
    return EventShape(name, start, start + 3600, "Online", "x")


def row(release_id: str, start: int, state: EventState = EventState.LIVE, event_id: int | None = 7) -> MirroredEvent:
    return MirroredEvent(1, release_id, event_id, shape(start), state)


def test_an_undated_release_has_no_event_and_a_catalogue_one_names_its_source() -> None:
    source = Source("variety", "Variety", "https://variety.com/x")
    found = wanted([release(day=None), release("cd", sources=(source,), description="On CD.")], UTC)
    assert list(found) == ["cd"]
    assert found["cd"].description == (
        "Out on Mon 1 March 2027. No time is announced: the time shown is midnight in this server's time zone (UTC), "
        "the moment its reminders count from.\n\nOn CD.\n\nSource: Variety: https://variety.com/x"
    )
    assert found["cd"].end_at - found["cd"].start_at == 3600


def test_a_long_link_goes_in_the_description_and_online_is_the_location() -> None:
    link = "https://example.org/" + "a" * 100
    made = shape_of(release(link=link), NOW, UTC)
    assert made.location == "Online" and made.description.split("\n\n")[1] == link
    assert shape_of(release(link="https://example.org/p"), NOW, UTC).location == "https://example.org/p"


def test_a_row_removed_by_hand_is_never_recreated_and_a_past_start_is_left_alone() -> None:
    want = {"a": shape(NOW + 86400), "b": shape(NOW + 86400)}
    rows = [row("a", NOW + 3600, EventState.GONE), row("b", NOW - 60)]
    assert steps(want, rows, NOW) == []


def test_moved_removed_and_interrupted() -> None:
    ahead = NOW + 86400
    rows = [row("moved", ahead), row("removed", ahead), row("half", ahead, EventState.CREATING, None)]
    want = {"moved": shape(ahead + 3600), "half": shape(ahead)}
    found = {(a.step, a.release_id) for a in steps(want, rows, NOW)}
    assert found == {(Step.EDIT, "moved"), (Step.CANCEL, "removed"), (Step.CREATE, "half")}


names = st.text(min_size=1, max_size=300)
starts = st.integers(min_value=NOW - 10 * 86400, max_value=NOW + 400 * 86400)
states = st.sampled_from(list(EventState))


@given(
    want=st.dictionaries(st.sampled_from("abcdef"), st.builds(shape, starts, names), max_size=6),
    rows=st.lists(st.tuples(st.sampled_from("abcdef"), starts, states), max_size=6, unique_by=lambda r: r[0]),
)
def test_steps_respect_discords_rules_and_moderators(
    want: dict[str, EventShape], rows: list[tuple[str, int, EventState]]
) -> None:
    stored = [row(rid, start, state, None if state is EventState.CREATING else 9) for rid, start, state in rows]
    by_id = {r.release_id: r for r in stored}
    actions = steps(want, stored, NOW)
    assert len({a.release_id for a in actions}) == len(actions), "one call per release at most"
    for action in actions:
        previous = by_id.get(action.release_id)
        if previous is not None and previous.state is EventState.GONE:
            assert action.step is Step.FORGET and action.release_id not in want, "never touch what a moderator removed"
        if action.step in (Step.CREATE, Step.EDIT):
            assert action.shape is not None and action.shape.start_at >= NOW + START_MARGIN_S, "Discord: future"
    for action in turn_off(stored, NOW):
        assert action.step is Step.FORGET or by_id[action.release_id].shape.start_at > NOW
    order = [action.step for action in actions]
    creates = [n for n, step in enumerate(order) if step is Step.CREATE]
    assert all(n > m for n in creates for m, step in enumerate(order) if step is not Step.CREATE), (
        "creates last: Discord's limit of 100 events refuses only them, and each cancellation frees a place first"
    )


@given(title=names, link=st.one_of(st.none(), st.text(max_size=600)), text=st.one_of(st.none(), names))
def test_every_shape_fits_discords_limits(title: str, link: str | None, text: str | None) -> None:
    made = shape_of(release(title=title, link=link, description=text), NOW, UTC)
    assert 1 <= len(made.name) <= NAME_LIMIT and 1 <= len(made.location) <= LOCATION_LIMIT
    assert len(made.description) <= DESCRIPTION_LIMIT


# -- a moderator's own edits to the bot's events ---------------------------------------------------------------------


def changed(shape: EventShape, field: Field, who: str, n: int) -> EventShape:
    """`shape` with `field` set by the release (`who == "release"`) or by a moderator's hand; the two never pick
    the same value, as a moderator's stream link is never what the release would say."""
    if field is Field.TIME and who == "release":
        start = NOW + 86400 * (n + 1)
        return replace(shape, start_at=start, end_at=start + 3600)
    if field is Field.TIME:  # by hand: a later start, or a longer party
        if n % 2:
            return replace(shape, end_at=shape.end_at + 60 * (n + 1))
        return replace(shape, start_at=shape.start_at + 1 + n)
    text = f"{who} {field.value} {n}"
    return taking(shape, EventShape(text, 0, 0, text, text), {field})


def test_a_release_moving_sends_only_the_time_and_a_language_switch_leaves_the_moderators_location() -> None:
    party = release(link=None, sources=(Source("milan", "Milan Records", "https://milan.example"),))
    sent = shape_of(party, NOW + 86400, UTC)
    theirs = replace(sent, name="Listening party + cast Q&A", location="https://twitch.tv/hr_fans")
    fields, stored = edit(sent, shape_of(party, NOW + 2 * 86400, UTC), theirs)
    assert fields == {Field.TIME} and (stored.name, stored.location) == (sent.name, sent.location)
    with using(language("fr")):
        french = shape_of(party, NOW + 86400, UTC)
    assert french.location == "En ligne" and french.description.endswith(
        "Source\u00a0: Milan Records: https://milan.example"
    )
    fields, stored = edit(sent, french, theirs)
    assert fields == {Field.DESCRIPTION}, "the words the bot wrote follow the language; the moderator's stay"
    assert stored == replace(sent, description=french.description)
    untouched = replace(sent, name="Listening party + cast Q&A")
    assert edit(sent, french, untouched)[0] == {Field.LOCATION, Field.DESCRIPTION}, "an untouched 'Online' follows"


ops = st.lists(
    st.tuples(st.sampled_from(["hand", "release", "sync"]), st.sampled_from(list(Field)), st.integers(0, 3)),
    max_size=40,
)


@given(ops=ops)
def test_a_field_changed_by_hand_is_never_sent_and_the_bots_own_fields_follow_the_release(
    ops: list[tuple[str, Field, int]],
) -> None:
    """Discord, the bot's row and the release as a moderator and the catalogue change them in any order: the bot
    never sends a field a moderator changed, and every other field shows the release after each sync."""
    want = sent = on_discord = EventShape("Listening party", NOW + 86400, NOW + 86400 + 3600, "Online", "Source: x")
    by_hand: set[Field] = set()
    for who, field, n in [*ops, ("sync", Field.NAME, 0)]:
        if who == "hand":
            on_discord = changed(on_discord, field, who, n)
            by_hand.add(field)
        elif who == "release":
            want = changed(want, field, who, n)
        else:
            fields, sent = edit(sent, want, on_discord)
            assert not fields & by_hand, "a field changed by hand belongs to the moderator"
            on_discord = taking(on_discord, want, fields)
            for field_ in set(Field) - by_hand:
                assert field_value(on_discord, field_) == field_value(want, field_) == field_value(sent, field_)
            for field_ in by_hand:
                assert field_value(on_discord, field_) != field_value(sent, field_), (
                    "the row keeps telling theirs apart"
                )
