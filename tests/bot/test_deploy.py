"""The service recipes in deploy/ run what the README says, keep the database in a private state folder,
and do not restart a configuration error forever."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import CONFIG_ERROR

DEPLOY = Path(__file__).parents[2] / "deploy"


UNIT = DEPLOY / "heated-rivalry-bot.service"


def unit() -> dict[str, list[tuple[str, str]]]:
    """The unit's sections as (key, value) lists: systemd keys repeat (Environment=) and are case-sensitive."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in UNIT.read_text("utf-8").splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif line and not line.startswith("#"):
            key, value = line.split("=", 1)
            current.append((key, value))
    return sections


def test_the_systemd_unit_runs_the_bot_with_its_database_in_the_state_directory() -> None:
    entries = unit()["Service"]
    service = dict(entries)
    assert shlex.split(service["ExecStart"])[1:] == ["-m", "bot", "run"]
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == str(CONFIG_ERROR)
    environment = dict(value.split("=", 1) for key, value in entries if key == "Environment")
    assert environment["DATABASE_PATH"].startswith(f"/var/lib/{service['StateDirectory']}/"), (
        "systemd creates and owns /var/lib/<StateDirectory>"
    )
    assert service["StateDirectoryMode"] == "0700" and service["UMask"] == "0077", "ballots stay private"
    assert dict(unit()["Install"])["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """systemd's own checker, with the install paths pointed at this checkout's interpreter."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    copy = tmp_path / UNIT.name
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\n", "utf-8")
    text = UNIT.read_text("utf-8").replace("/opt/heated-rivalry-bot/.venv/bin/python", sys.executable)
    copy.write_text(text.replace("/opt/heated-rivalry-bot/.env", str(tmp_path / ".env")), "utf-8")
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_container_keeps_the_database_on_a_volume() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text("utf-8")
    compose = (DEPLOY / "compose.yaml").read_text("utf-8")
    assert 'CMD ["python", "-m", "bot", "run"]' in dockerfile
    assert "ENV DATABASE_PATH=/data/bot.sqlite3" in dockerfile and 'VOLUME ["/data"]' in dockerfile
    assert re.search(r"^\s+- bot-data:/data\b", compose, re.M) and "DATABASE_PATH: /data/bot.sqlite3" in compose
    assert "USER hrbot" in dockerfile, "not root inside the container"
