"""A release is one version everywhere: pyproject.toml (so `python -m bot --version` and `/about`), the newest
dated section of CHANGELOG.md, and the git tag `vX.Y.Z` once the checkout has tags; the README tells each kind of
install how to upgrade to it, backing up first."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.recipes import README, REPO, readme_block

DATED = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)


def version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"])


def test_the_version_is_the_newest_changelog_section_and_what_the_bot_says() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text("utf-8")
    dated = DATED.findall(changelog)
    assert dated and dated[0][0] == version(), f"pyproject says {version()}, the newest dated section {dated[:1]}"
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{version()}]"), "current work goes above it"
    said = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, check=True)
    assert said.stdout.strip() == f"python -m bot {version()}", (
        "the installed metadata is older than pyproject.toml: python -m pip install -e ."
    )


def test_the_newest_tag_is_this_version() -> None:
    """The lead tags each release (`git tag -a vX.Y.Z`); a checkout without tags (or without git) has nothing to
    compare."""
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tags = subprocess.run([git, "tag", "--list", "v*"], cwd=REPO, capture_output=True, text=True, check=True)
    if not tags.stdout.strip():
        pytest.skip("the checkout has no release tags yet")
    described = subprocess.run(
        [git, "describe", "--tags", "--abbrev=0", "--match", "v*"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert described.stdout.strip() == f"v{version()}", "a new version needs its tag, on the release commit"


def test_every_kind_of_install_upgrades_to_a_release_backing_up_first() -> None:
    """Issue 20: `git pull` followed main, between releases; no steps for the service or Docker."""
    text = README.read_text("utf-8")
    section = text[text.index("### Upgrading") :]
    section = section[: section.index("\n## ")]
    kinds = re.findall(r"\*\*([^*\n]+)\*\*[^\n]*:\n\n```sh\n(.*?)```", section, re.S)
    assert [kind for kind, _ in kinds] == ["A virtual environment", "The systemd service", "Docker"]
    for kind, block in kinds:
        commands = [line for line in block.splitlines() if line and not line.startswith("#")]
        assert " backup " in f" {commands[0]} ", f"{kind}: back up first"
        assert any('git checkout "$(git describe --tags --abbrev=0 origin/main)"' in line for line in commands), kind
    assert readme_block("tests/e2e/test_service.py runs this block as written"), "the install steps are there too"
