"""The MusicBrainz import: release references, the one HTTP lookup (against a loopback server, never the
network), the overlay it turns into, and the file it is written to.

The fixtures in tests/fixtures/musicbrainz/ are written by hand in MusicBrainz's documented JSON format
(https://musicbrainz.org/doc/MusicBrainz_API, release lookup with inc=recordings+isrcs). They are test data:
"Test Cue" titles, made-up lengths, "ZZTST" ISRCs and MBIDs starting with 7e57.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import re
import socket
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalogue import Catalogue, Confidence, Track, load_catalogue, parse_catalogue
from bot.musicbrainz import (
    MusicBrainzError,
    Overlay,
    fetch_release,
    fold_title,
    format_duration,
    parse_release_ref,
    release_to_overlay,
    slug,
    toml_string,
    user_agent,
    validate_overlay,
    write_overlay,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "musicbrainz"
MBID = "7e570001-0000-4000-8000-000000000000"
BUNDLED_TITLES = {
    1: "Rivalry",
    2: "Melt",
    3: "Those English Words Just Roll Off Your Tongue",
    4: "Heartbeat I",
    5: "Face-Off",
    6: "Common Goal",
    7: "Jane and Lily",
    8: "Two Souls",
}
# Small base catalogues of our own, for rules that need bundled values the real catalogue lacks (a duration,
# an unknown track count). Test data, not facts.
EMPTY_BASE = """
schema = 1
[sources]
blog = { name = "Test blog", url = "https://example.org/blog" }
[album]
track_count = { value = 34, confidence = "multi", sources = ["blog"] }
"""
MELT_BASE = (
    EMPTY_BASE
    + """
[[tracks]]
id = "melt"
title = "Melt"
confidence = "single"
sources = ["blog"]
number = 2
duration = "2:10"
"""
)
NO_COUNT = 'track_count = { value = 34, confidence = "multi", sources = ["blog"] }'


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
    return data


def tracks_of(release: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for medium in release["media"] for t in medium["tracks"]]


def set_title(release: dict[str, Any], position: int, title: str) -> None:
    track = tracks_of(release)[position - 1]
    assert track["position"] == position
    track["title"] = track["recording"]["title"] = title


def load_over_bundled(overlay: Overlay, tmp_path: Path) -> Catalogue:
    path = tmp_path / "musicbrainz.toml"
    path.write_text(overlay.text, "utf-8")
    return load_catalogue(path)


def base(text: str) -> Catalogue:
    return parse_catalogue([("base.toml", text)])


def small_release(
    titles: list[str], *, release_title: str = "Test release", length: int | None = 154_213
) -> dict[str, Any]:
    """A one-medium release in the lookup's JSON shape, tracks 1, 2, … with these titles."""
    tracks: list[dict[str, Any]] = [
        {
            "id": f"7e570009-0001-4000-8000-{n:012d}",
            "position": n,
            "number": str(n),
            "title": title,
            "length": length,
            "recording": {"id": f"7e570009-0002-4000-8000-{n:012d}", "title": title, "length": length, "isrcs": []},
        }
        for n, title in enumerate(titles, start=1)
    ]
    medium: dict[str, Any] = {"position": 1, "format": "Digital Media", "track-count": len(tracks), "tracks": tracks}
    return {"id": MBID, "title": release_title, "media": [medium]}


@pytest.fixture(scope="module")
def bundled() -> Catalogue:
    return load_catalogue()


# --- release references ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        MBID,
        MBID.upper(),
        f"  {MBID}\n",
        f"https://musicbrainz.org/release/{MBID}",
        f"https://musicbrainz.org/release/{MBID}/",
        f"https://musicbrainz.org/release/{MBID}/discids",
        f"https://musicbrainz.org/release/{MBID}?tab=tracks#disc1",
        f"http://www.musicbrainz.org/release/{MBID}",
        f"https://beta.musicbrainz.org/release/{MBID}/edit",
        f"musicbrainz.org/release/{MBID}",
    ],
)
def test_parse_release_ref_accepts_an_mbid_or_a_release_url(text: str) -> None:
    assert parse_release_ref(text) == MBID


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"https://musicbrainz.org/release-group/{MBID}", "release group, not a release"),
        (f"https://musicbrainz.org/recording/{MBID}", "recording, not a release"),
        (f"https://example.org/release/{MBID}", "expected a MusicBrainz release MBID"),
        (MBID[:-1], "expected a MusicBrainz release MBID"),
        ("Heated Rivalry soundtrack", "expected a MusicBrainz release MBID"),
        ("", "expected a MusicBrainz release MBID"),
    ],
)
def test_parse_release_ref_rejects_anything_else_clearly(text: str, message: str) -> None:
    with pytest.raises(MusicBrainzError, match=re.escape(message)):
        parse_release_ref(text)


# --- the HTTP lookup, against a loopback server ------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def musicbrainz_stub(handler: Handler) -> AsyncIterator[tuple[str, list[web.Request]]]:
    """A local stand-in for musicbrainz.org/ws/2 on 127.0.0.1: yields its base URL and the requests it saw."""
    seen: list[web.Request] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        return await handler(request)

    app = web.Application()
    app.router.add_get("/ws/2/release/{mbid}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/ws/2")), seen
    finally:
        await server.close()


def answer(status: int, body: str, content_type: str = "application/json", **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=body, content_type=content_type, headers=headers)

    return handler


async def test_fetch_release_sends_the_documented_request_with_a_descriptive_user_agent() -> None:
    release = fixture("release-34-tracks.json")
    async with musicbrainz_stub(answer(200, json.dumps(release))) as (base_url, seen):
        result = await fetch_release(f"https://musicbrainz.org/release/{MBID}", base=base_url)
    assert result == release
    (request,) = seen
    assert request.path == f"/ws/2/release/{MBID}"
    assert request.raw_path == f"/ws/2/release/{MBID}?inc=recordings+isrcs&fmt=json", "the documented form"
    assert re.fullmatch(r"heated-rivalry-bot/\S+ \( \S.* \)", request.headers["User-Agent"])
    assert request.headers["Accept"] == "application/json"


async def test_fetch_release_user_agent_carries_the_given_contact() -> None:
    async with musicbrainz_stub(answer(200, json.dumps(fixture("release-34-tracks.json")))) as (base_url, seen):
        await fetch_release(MBID, base=base_url, contact="https://example.org/hr-bot")
    assert seen[0].headers["User-Agent"] == user_agent("https://example.org/hr-bot")
    assert re.fullmatch(
        r"heated-rivalry-bot/[^ /]+ \( https://example\.org/hr-bot \)", user_agent("https://example.org/hr-bot")
    )


async def test_fetch_release_404_says_there_is_no_such_release() -> None:
    body = json.dumps({"error": "Not Found", "help": "For usage, please see: https://musicbrainz.org/development/mmd"})
    async with musicbrainz_stub(answer(404, body)) as (base_url, _):
        with pytest.raises(MusicBrainzError, match=f"no release {MBID} \\(404"):
            await fetch_release(MBID, base=base_url)


async def test_fetch_release_503_says_rate_limited_and_to_try_again_soon() -> None:
    body = json.dumps({"error": "Your requests are exceeding the allowable rate limit."})
    async with musicbrainz_stub(answer(503, body, **{"Retry-After": "2"})) as (base_url, _):
        with pytest.raises(MusicBrainzError) as caught:
            await fetch_release(MBID, base=base_url)
    message = str(caught.value)
    assert "rate limiting or overloaded (503" in message
    assert "Retry-After: 2 s" in message
    assert "try again in a few seconds" in message


async def test_fetch_release_other_statuses_are_reported_with_musicbrainz_message() -> None:
    async with musicbrainz_stub(answer(400, json.dumps({"error": "Invalid mbid."}))) as (base_url, _):
        with pytest.raises(MusicBrainzError, match=r"HTTP 400 Bad Request: Invalid mbid\."):
            await fetch_release(MBID, base=base_url)
    async with musicbrainz_stub(answer(500, "<h1>Server being naughty</h1>", "text/html")) as (base_url, _):
        with pytest.raises(MusicBrainzError, match=r"HTTP 500 Internal Server Error$"):
            await fetch_release(MBID, base=base_url)


async def test_fetch_release_rejects_a_body_that_is_not_a_json_object() -> None:
    async with musicbrainz_stub(answer(200, "<html>maintenance</html>", "text/html")) as (base_url, _):
        with pytest.raises(MusicBrainzError, match="not with JSON"):
            await fetch_release(MBID, base=base_url)
    async with musicbrainz_stub(answer(200, "[1, 2]")) as (base_url, _):
        with pytest.raises(MusicBrainzError, match="not a release object"):
            await fetch_release(MBID, base=base_url)


async def test_fetch_release_without_network_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MusicBrainzError, match=f"cannot reach MusicBrainz at 127.0.0.1:{port}") as caught:
        await fetch_release(MBID, base=f"http://127.0.0.1:{port}/ws/2")
    assert str(caught.value).endswith(
        f"or open http://127.0.0.1:{port}/ws/2/release/{MBID}?inc=recordings+isrcs&fmt=json in a browser (on any "
        f"machine), save the page as release.json, and run: python -m bot catalogue import musicbrainz {MBID} "
        "--from-file release.json"
    ), "offline, the operator is told which address to save the answer from"


async def test_fetch_release_times_out_clearly() -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response(text="{}")

    async with musicbrainz_stub(slow) as (base_url, _):
        with pytest.raises(MusicBrainzError, match=r"did not answer within 0\.2 s"):
            await fetch_release(MBID, base=base_url, timeout_s=0.2)


async def test_fetch_release_leaves_a_given_session_open() -> None:
    stub = musicbrainz_stub(answer(200, json.dumps(fixture("release-two-discs.json"))))
    async with stub as (base_url, _), aiohttp.ClientSession() as session:
        await fetch_release(MBID, session=session, base=base_url)
        assert not session.closed


# --- release → overlay -------------------------------------------------------------------------------------


def test_34_track_release_loads_as_34_titled_tracks_with_durations(bundled: Catalogue, tmp_path: Path) -> None:
    overlay = release_to_overlay(fixture("release-34-tracks.json"), bundled)
    catalogue = load_over_bundled(overlay, tmp_path)
    tracks = catalogue.tracks_in_order()
    assert len(tracks) == 34
    assert catalogue.coverage == "34 of 34 tracks listed"
    assert [t.number.value for t in tracks] == list(range(1, 35))
    assert all(t.title and t.duration_s.known for t in tracks)
    assert (len(overlay.added), len(overlay.changed), len(overlay.confirmed), overlay.conflicts) == (25, 9, 8, ())
    source = catalogue.sources[overlay.source_id]
    assert source.url == f"https://musicbrainz.org/release/{MBID}"
    for track in tracks:
        assert track.duration_s.confidence is Confidence.SINGLE and track.duration_s.sources == (source,)


def test_bundled_tracks_keep_their_ids_and_agreeing_facts_keep_their_provenance(
    bundled: Catalogue, tmp_path: Path
) -> None:
    catalogue = load_over_bundled(release_to_overlay(fixture("release-34-tracks.json"), bundled), tmp_path)
    for number, title in BUNDLED_TITLES.items():
        before = next(t for t in bundled.tracks if t.number.value == number)
        after = catalogue.track(before.id)
        assert after is not None and after.title == title
        assert after.number == before.number, "a position MusicBrainz agrees with is not restated"
        assert (after.confidence, after.sources, after.uses) == (before.confidence, before.sources, before.uses)
    its_you = catalogue.track("its-you")  # matched by folded title: "It’s You" on MusicBrainz
    assert its_you is not None and its_you.title == "It's You"
    assert its_you.number.value == 34 and its_you.number.confidence is Confidence.SINGLE
    assert its_you.confidence is Confidence.MULTI, "the bundled title's own provenance is kept"
    assert {t.id for t in catalogue.tracks} >= {"test-cue-9", "test-cue-10-quoted-backslash", "test-cue-12-elan"}
    quoted = catalogue.track("test-cue-10-quoted-backslash")
    assert quoted is not None and quoted.title == 'Test Cue 10: "Quoted" \\ Backslash'


def test_two_discs_are_numbered_continuously_and_say_so(bundled: Catalogue, tmp_path: Path) -> None:
    overlay = release_to_overlay(fixture("release-two-discs.json"), bundled)
    catalogue = load_over_bundled(overlay, tmp_path)
    assert len(catalogue.tracks) == 34 and overlay.conflicts == ()
    assert any("2 media" in note and "continuously" in note for note in overlay.notes)
    first_of_disc_2 = catalogue.track("test-cue-18")
    assert first_of_disc_2 is not None and first_of_disc_2.number.value == 18
    assert first_of_disc_2.number.note is not None and "Disc 2, track 1" in first_of_disc_2.number.note
    last = catalogue.track("its-you")
    assert last is not None and last.number.value == 34
    assert last.number.note is not None and "Disc 2, track 17" in last.number.note


def test_missing_lengths_are_left_out_and_recording_lengths_are_noted(bundled: Catalogue, tmp_path: Path) -> None:
    overlay = release_to_overlay(fixture("release-missing-lengths.json"), bundled)
    catalogue = load_over_bundled(overlay, tmp_path)
    assert len(catalogue.tracks) == 34
    without = sorted(t.number.value or 0 for t in catalogue.tracks if not t.duration_s.known)
    assert without == [3, 9, 17, 26]
    from_recording = next(t for t in catalogue.tracks if t.number.value == 12)
    assert from_recording.duration_s.known and from_recording.duration_s.note is not None
    assert "recording" in from_recording.duration_s.note
    assert any("track 12" in note and "recording's length" in note for note in overlay.notes)
    parsed = tomllib.loads(overlay.text)
    assert "duration" not in next(t for t in parsed["tracks"] if t["id"] == "test-cue-9")


def test_another_title_at_a_bundled_position_is_a_conflict_not_applied(bundled: Catalogue, tmp_path: Path) -> None:
    release = fixture("release-34-tracks.json")
    set_title(release, 2, "Melting Point")
    overlay = release_to_overlay(release, bundled)
    (conflict,) = overlay.conflicts
    assert (conflict.field, conflict.position, conflict.track_id) == ("title", 2, "melt")
    assert conflict.bundled == '"Melt"' and conflict.musicbrainz == '"Melting Point"'
    assert "not applied" in str(conflict) and str(conflict) in overlay.text
    catalogue = load_over_bundled(overlay, tmp_path)
    melt = catalogue.track("melt")
    assert melt is not None and melt.title == "Melt" and not melt.duration_s.known
    assert all(t.title != "Melting Point" for t in catalogue.tracks)
    assert len(catalogue.tracks) == 34, "33 from MusicBrainz and the bundled Melt"


def test_a_bundled_title_at_another_position_is_a_conflict(bundled: Catalogue, tmp_path: Path) -> None:
    release = fixture("release-34-tracks.json")
    set_title(release, 2, "Test Cue 2")
    set_title(release, 30, "MELT")
    overlay = release_to_overlay(release, bundled)
    found = {(c.field, c.position, c.track_id) for c in overlay.conflicts}
    assert found == {("title", 2, "melt"), ("number", 30, "melt")}
    catalogue = load_over_bundled(overlay, tmp_path)
    melt = catalogue.track("melt")
    assert melt is not None and melt.number.value == 2


def test_new_ids_are_title_slugs_that_never_collide(bundled: Catalogue, tmp_path: Path) -> None:
    release = fixture("release-34-tracks.json")
    set_title(release, 15, "Those English Words")  # slug of a shortened bundled id, another title
    set_title(release, 16, "夜")  # nothing to slug
    set_title(release, 17, "Test Cue 9")  # same title as track 9
    overlay = release_to_overlay(release, bundled)
    ids = {c.position: c.track_id for c in overlay.added}
    assert (ids[15], ids[16], ids[17], ids[9]) == ("those-english-words-2", "track-16", "test-cue-9-2", "test-cue-9")
    assert len(load_over_bundled(overlay, tmp_path).tracks) == 34


def test_durations_agreeing_within_a_second_are_kept_and_others_conflict() -> None:
    agree = release_to_overlay(small_release(["Test Cue 1", "Melt"], length=130_400), base(MELT_BASE))
    assert agree.confirmed == ('melt: number 2 and title "Melt"', "melt: duration 2:10")
    assert [c.track_id for c in agree.changed] == [] and agree.conflicts[0].field == "track_count"
    differ = release_to_overlay(small_release(["Test Cue 1", "Melt"], length=200_000), base(MELT_BASE))
    assert [(c.field, c.bundled, c.musicbrainz) for c in differ.conflicts[1:]] == [("duration", "2:10", "3:20")]
    melt = parse_catalogue([("base.toml", MELT_BASE), ("overlay.toml", differ.text)]).track("melt")
    assert melt is not None and melt.duration_s.value == 130


def test_a_track_count_that_differs_is_a_conflict_and_extra_tracks_are_not_imported(bundled: Catalogue) -> None:
    release = fixture("release-34-tracks.json")
    extra = copy.deepcopy(tracks_of(release)[-2:])
    for offset, track in enumerate(extra, start=35):
        track["position"], track["number"], track["title"] = offset, str(offset), f"Test Bonus {offset}"
    release["media"][0]["tracks"] += extra
    overlay = release_to_overlay(release, bundled)
    found = {(c.field, c.position) for c in overlay.conflicts}
    assert found == {("track_count", None), ("number", 35), ("number", 36)}
    assert len(validate_overlay(overlay).tracks) == 34


def test_an_unknown_track_count_is_taken_from_the_release_when_it_fits() -> None:
    no_count = EMPTY_BASE.replace(NO_COUNT, "")
    overlay = release_to_overlay(small_release(["Test Cue 1", "Test Cue 2"]), base(no_count))
    catalogue = parse_catalogue([("base.toml", no_count), ("overlay.toml", overlay.text)])
    assert catalogue.album.track_count.value == 2
    assert catalogue.album.track_count.confidence is Confidence.SINGLE
    # Fewer tracks than the catalogue already numbers: the count would break it, so it is a conflict.
    melt_no_count = MELT_BASE.replace(NO_COUNT, "")
    short = release_to_overlay(small_release(["Test Cue 1"]), base(melt_no_count))
    assert [c.field for c in short.conflicts] == ["track_count"]
    assert parse_catalogue([("base.toml", melt_no_count), ("overlay.toml", short.text)]).album.track_count.value is None


def test_isrcs_are_kept_as_comments_because_the_track_model_has_no_isrc_field(bundled: Catalogue) -> None:
    assert "isrc" not in {f.name for f in dataclasses.fields(Track)}, "the model grew an ISRC field: write it"
    overlay = release_to_overlay(fixture("release-34-tracks.json"), bundled)
    isrc_lines = [line for line in overlay.text.splitlines() if "ZZTST26" in line]
    assert isrc_lines and all(line.startswith("#") for line in isrc_lines)
    assert any("ZZTST2600001" in line for line in isrc_lines)
    assert all("isrc" not in entry for entry in tomllib.loads(overlay.text)["tracks"])
    assert any("ISRC" in note for note in overlay.notes)


def test_json_that_is_not_a_release_with_tracks_is_a_clear_error(bundled: Catalogue) -> None:
    without_tracks = fixture("release-34-tracks.json")
    del without_tracks["media"][0]["tracks"]  # a lookup made without inc=recordings
    with pytest.raises(MusicBrainzError, match="inc=recordings"):
        release_to_overlay(without_tracks, bundled)
    with pytest.raises(MusicBrainzError, match="not an MBID"):
        release_to_overlay({"error": "Not Found"}, bundled)
    with pytest.raises(MusicBrainzError, match="no media"):
        release_to_overlay({"id": MBID, "media": []}, bundled)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (154_213, "2:34"),
        (154_500, "2:35"),
        (59_999, "1:00"),
        (3_599_499, "59:59"),
        (3_600_000, "1:00:00"),
        (3_750_000, "1:02:30"),
    ],
)
def test_format_duration_rounds_to_the_second_in_the_catalogue_forms(ms: int, text: str) -> None:
    assert format_duration(ms) == text


def test_title_folding_and_slugs() -> None:
    assert fold_title("It’s You") == fold_title("IT'S YOU!") == fold_title("its you") == "its you"
    assert fold_title("Face-Off") == fold_title("Face Off")
    assert fold_title("Heartbeat I") != fold_title("Heartbeat II")
    assert slug("Test Cue 12 — Élan") == "test-cue-12-elan"
    assert slug("It's You") == "its-you"
    assert len(slug("x" * 200)) == 63


# --- TOML round trips (hypothesis) --------------------------------------------------------------------------


@given(st.text())
def test_toml_string_round_trips_any_text(text: str) -> None:
    assert tomllib.loads(f"value = {toml_string(text)}")["value"] == text


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(min_size=1, max_size=100).filter(lambda s: s.strip() != ""),
    release_title=st.text(max_size=200),
)
def test_any_track_title_survives_the_overlay_round_trip(title: str, release_title: str) -> None:
    overlay = release_to_overlay(small_release([title], release_title=release_title), base(EMPTY_BASE))
    (added,) = overlay.added
    parsed = {t["id"]: t for t in tomllib.loads(overlay.text)["tracks"]}
    assert parsed[added.track_id]["title"] == title.strip()
    catalogue = parse_catalogue([("base.toml", EMPTY_BASE), ("overlay.toml", overlay.text)])
    track = catalogue.track(added.track_id)
    assert track is not None and track.title == title.strip() and track.number.value == 1
    assert catalogue.sources[overlay.source_id].name == f"MusicBrainz release: {release_title.strip() or MBID}"


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: f"Test {s}"))
def test_quotes_backslashes_and_newlines_in_titles_survive(title: str) -> None:
    tricky = f'{title} "q" \\ back\nnew\tline \x00 \x7f end'
    overlay = release_to_overlay(small_release([tricky]), base(EMPTY_BASE))
    assert tomllib.loads(overlay.text)["tracks"][0]["title"] == tricky.strip()


# --- writing -----------------------------------------------------------------------------------------------


def test_write_overlay_never_overwrites_without_force(bundled: Catalogue, tmp_path: Path) -> None:
    first = release_to_overlay(fixture("release-34-tracks.json"), bundled)
    second = release_to_overlay(fixture("release-two-discs.json"), bundled)
    path = tmp_path / "overlays" / "musicbrainz.toml"
    assert write_overlay(path, first, force=False) == path
    assert path.read_text("utf-8") == first.text
    with pytest.raises(MusicBrainzError) as caught:
        write_overlay(path, second, force=False)
    assert str(path) in str(caught.value) and "--force" in str(caught.value)
    assert path.read_text("utf-8") == first.text
    write_overlay(path, second, force=True)
    assert path.read_text("utf-8") == second.text
    assert sorted(p.name for p in path.parent.iterdir()) == ["musicbrainz.toml"], "no temporary file left behind"
    with pytest.raises(MusicBrainzError, match="is a folder"):
        write_overlay(tmp_path, first, force=True)
