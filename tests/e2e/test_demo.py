"""`python -m bot demo` prints a readable fan-server session, with no token and no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_token


@pytest.mark.slow
def test_demo_prints_the_transcript(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CATALOGUE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Shane › /soundtrack about" in out and "9 of 34 tracks listed" in out
    assert "Rose › /soundtrack track track:rivl" in out and "(autocomplete offered: 1. Rivalry" in out
    assert "bot (only you can see this):\n    No track matches 'rivalry theme remix'." in out
    assert "Ilya › /poll vote track:melt" in out
    assert "Rose › /poll results" in out and "Rivalry" in out.split("Rose › /poll results", 1)[1]
    assert "📎 poll-round-1-standings.png (800×" in out and "alt text: Bar chart of the 2 tracks" in out
    french = out.split("## In French", 1)[1].split("## Release-day reminders", 1)[0]
    assert "Léa › /trame-sonore à-propos" in french and "Trame sonore de Rivalité passionnée" in french
    assert "Pièce préférée · ronde 1" in french and "alt text: Diagramme à barres des 2 pièces" in french
    reminders, rest = out.split("## Release-day reminders", 1)[1].split("## A listening party", 1)
    party, french_server = rest.split("## Fans de Rivalité passionnée", 1)
    assert "Mod › /reminders events mode:on" in reminders and "◆ Soundtrack listening party" in reminders
    assert "Shane › clicks [Notify me]" in reminders and "you now have @Release news" in reminders
    assert reminders.count("[Notify me] [Discord event]") == 2, "both posts link the native event"
    assert "Mod › /reminders channel channel:#announcements" in reminders
    assert reminders.count("  bot posted in #announcements:") == 2, "the 1-day and the release-moment posts"
    assert reminders.count("(notified: @Release news)") == 2
    assert "sent: 2 · skipped: 0 · failed: 0" in reminders
    book = "**Unrivaled (Rachel Reid), the final Game Changers book** · Tue 1 June 2027"
    assert f"{book} · in " in reminders, "a date-only release reads as its date, with days to go"
    assert "Out on Tue 1 June 2027. No time is announced: the time shown is midnight" in reminders, "and its event"
    assert f"{book}\n    ┃   1 day before: Mon 31 May 2027 04:00 UTC" in reminders, "its posts at Toronto's midnight"
    assert (
        "Mod › /party-admin schedule title:Album night" in party
        and "2 tracks: the host moves on with **Next**" in party
    )
    assert (
        party.count(
            "  bot posted in #soundtrack:\n    ┃ Album night\n    ┃ 🎧 **The listening party starts in 1 minute.**"
        )
        == 1
    )
    assert party.count("  bot posted in #Album night:") == 3, "two cues and the recap, in the party's thread"
    assert "Only the party's host (@Mod) and moderators can move it on." in party
    assert "Tied for track of the night: **Rivalry** and **Melt** (1 ♥ each)." in party
    assert "📎 party-1-hearts.png" in party and "the thread #Album night is archived" in party
    before, after = french_server.split("Modo › /réglages langue langue:fr", 1)
    assert "bot posted in #annonces:\n    ┃ Favourite Heated Rivalry track" in before, "not a Community server: English"
    assert "Désormais, je publie en français dans ce serveur" in after
    assert "bot posted in #annonces:\n    ┃ Ta pièce préférée de Rivalité passionnée" in after, "the ballot, in French"
    assert "Your vote in round 1: **Rivalry · track 1**" in after, "an English member's private answer stays English"
    assert "Fuseau horaire\u00a0: **America/Montreal**" in after, "a French moderator's Montréal"
    assert "1 semaine avant, 1 jour avant et au moment de la sortie" in after, "and their 7j, 1j, 0"
    assert "· En ligne · scheduled" in after and "Source\u00a0: " in after, "the native event's words, in French"
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir()), "the demo leaves no files behind"


@pytest.mark.slow
def test_demo_piped_into_head_ends_quietly_and_ignores_the_token(tmp_path: Path) -> None:
    """`python -m bot demo | head` in a folder whose `.env` holds a token the bot would refuse ("Bot …"): the demo
    needs no token, so it runs, and when the reader stops reading it ends without a BrokenPipe traceback."""
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN=Bot {make_token()}\nDATABASE_PATH=/nonexistent/bot.sqlite3\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CATALOGUE_"))}
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert demo.stdout is not None and demo.stderr is not None
    head = [demo.stdout.readline() for _ in range(3)]
    demo.stdout.close()  # as `head -3` exits
    stderr = demo.stderr.read().decode()
    assert demo.wait(timeout=120) == 1, stderr
    assert head[0].startswith(b"# Heated Rivalry Fans (the real bot"), head
    assert stderr == "", "no traceback, no error about the token"
    assert [p.name for p in tmp_path.iterdir()] == [".env"]
