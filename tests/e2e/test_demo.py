"""`python -m bot demo` prints a readable fan-server session, with no token and no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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
    reminders = out.split("## Release-day reminders", 1)[1]
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
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir()), "the demo leaves no files behind"
