"""A release is one version everywhere: pyproject.toml (so `python -m bot --version` and `/about`), the newest
dated section of CHANGELOG.md, and the git tag `vX.Y.Z` once the checkout has tags."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]

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
