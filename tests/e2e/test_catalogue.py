"""The README's overlay, pasted literally: every command and the reminders agree on the vinyl's date."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.catalogue import Catalogue, load_catalogue
from bot.clock import SystemClock
from bot.overlays import import_musicbrainz
from fakediscord import FakeDiscord, Reply
from tests.e2e.conftest import FanServer, fan_server

README = Path(__file__).parents[2] / "README.md"
TODAY = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)  # the bot's clock: before the README's date, whatever today is


@pytest.fixture
def readme_catalogue(tmp_path: Path) -> Catalogue:
    example = re.search(r"```toml\n(.*?)```", README.read_text("utf-8"), re.S)
    assert example is not None
    path = tmp_path / "overlay.toml"
    path.write_text(example.group(1), "utf-8")
    return load_catalogue(path)


@pytest.fixture
async def operator_server(fd: FakeDiscord, tmp_path: Path, readme_catalogue: Catalogue) -> AsyncIterator[FanServer]:
    async with fan_server(fd, tmp_path / "bot.sqlite3", readme_catalogue) as running:
        assert isinstance(running.bot.clock, SystemClock)
        running.bot.clock.jump_to(TODAY.timestamp())
        yield running


def text(reply: Reply) -> str:
    return (reply.content or "") + json.dumps(reply.embeds, ensure_ascii=False)


async def test_the_readme_overlay_dates_the_vinyl_everywhere_at_once(
    operator_server: FanServer, readme_catalogue: Catalogue
) -> None:
    server = operator_server
    vinyl = next(e for e in readme_catalogue.editions if e.id == "vinyl")
    day = vinyl.release_date.value
    assert day is not None and day > TODAY.date()
    epoch = int(dt.datetime.combine(day, dt.time(0, 0), dt.UTC).timestamp())  # the server's zone is UTC
    days = (day - TODAY.date()).days
    shown = f"{day:%a} {day.day} {day:%B %Y}"

    about = text(await server.fan.run("/soundtrack about"))
    assert f"**Vinyl**: out on {shown} (in {days} days)" in about and "out since" not in about.split("Vinyl")[1][:40]

    upcoming = text(await server.fan.run("/releases upcoming"))
    assert f"**Heated Rivalry soundtrack on vinyl** · {shown} · in {days} days" in upcoming, "a date, not a moment"
    assert f"<t:{epoch}:" not in upcoming, "no timestamp would show a fan west of UTC the evening before"
    assert "**Heated Rivalry soundtrack on CD** · date not announced (announced for later in 2026)" in upcoming

    countdown = text(await server.fan.run("/releases countdown", release="album-vinyl"))
    assert f"Comes out in {days} days: {shown}." in countdown

    mod = server.guild.add_member("Mod", manage_guild=True)
    await mod.run("/reminders channel", options={"channel": server.channel})
    status = text(await mod.run("/reminders status"))
    assert f"**Heated Rivalry soundtrack on vinyl** · {shown}" in status, "the release as a date"
    assert f"at release: <t:{epoch}:f>" in status, "its posts as the moments they go out"

    report = "\n".join((await server.bot.reports()).lines)
    assert f"Heated Rivalry soundtrack on vinyl (out {day}) · 1 week" in report, "python -m bot check lists its posts"

    clock = server.bot.clock
    assert isinstance(clock, SystemClock)
    clock.jump_to(epoch)
    await server.bot.wait_idle()
    posts = [m for m in server.fd.channel_messages(server.channel) if m.embeds and "reminder" in str(m.embeds[0])]
    assert [m.embeds[0]["title"] for m in posts] == ["Heated Rivalry soundtrack on vinyl"]
    assert posts[0].embeds[0]["description"].startswith(f"Out now: {shown}.")
    assert posts[0].content.endswith(f"**Heated Rivalry soundtrack on vinyl**: {shown} (today)")


async def test_an_imported_musicbrainz_tracklist_is_what_fans_see(fd: FakeDiscord, tmp_path: Path) -> None:
    """catalogue import on the recorded 34-track release, then the bot: 34 titles, each with its duration."""
    saved = Path(__file__).parents[1] / "fixtures" / "musicbrainz" / "release-34-tracks.json"
    overlay = tmp_path / "musicbrainz-overlay.toml"
    await import_musicbrainz(json.loads(saved.read_text("utf-8"))["id"], from_file=saved, output=overlay, force=False)
    async with fan_server(fd, tmp_path / "bot.sqlite3", load_catalogue(overlay)) as server:
        reply = await server.fan.run("/soundtrack tracks")
        lines = reply.embeds[0]["description"].splitlines()  # the page turns in place: read each as it is shown
        while "Next" in [
            c.get("label") for row in reply.components for c in row["components"] if not c.get("disabled")
        ]:
            reply = await server.fan.click(reply, "Next")
            lines += reply.embeds[0]["description"].splitlines()
    listed = [line for line in lines if re.match(r"^`\d+\.` .+ — \d+:\d\d", line)]
    assert len(listed) == 34 and "title not confirmed" not in "\n".join(lines)


async def test_the_sources_button_lists_every_page_privately(server: FanServer) -> None:
    about = await server.fan.run("/soundtrack about")
    short = text(about)
    assert "[Vulture (mirror)](https://www.nie-podam.pl/" in short, "a link to a mirror says so"
    assert "**Sources** lists them all" in short
    full = await server.other_fan.click(about, "Sources")
    assert full.ephemeral and "Vulture (mirror)" in text(full) and "Glance (AI press summary)" in text(full)
