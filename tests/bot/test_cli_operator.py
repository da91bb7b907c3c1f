"""`python -m bot` as an operator of a service runs it: one settings file for every command, a database that is
never created by accident, a readable `check`, a private settings file, and a start that waits for the network."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.bot.test_cli import VARIABLES, database_as_run_makes_it, run_bot
from tests.conftest import make_token


def errors(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# -- one configuration for every command (--env-file) ----------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A service's settings file, away from the folder the operator types commands in, naming its database."""
    (tmp_path / "etc").mkdir()
    settings = tmp_path / "etc" / "bot.env"
    settings.write_text(f"DATABASE_PATH={tmp_path / 'var' / 'bot.sqlite3'}\nLOG_LEVEL=INFO\n", "utf-8")
    settings.chmod(0o600)
    database_as_run_makes_it(tmp_path / "var" / "bot.sqlite3")
    (tmp_path / "home").mkdir()
    return settings


@pytest.mark.parametrize("before", [True, False], ids=["before-the-command", "after-the-command"])
def test_every_command_reads_the_env_file_and_names_its_database(tmp_path: Path, service: Path, before: bool) -> None:
    home, database = tmp_path / "home", tmp_path / "var" / "bot.sqlite3"

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return run_bot(home, *(("--env-file", str(service), *args) if before else (*args, "--env-file", str(service))))

    checked = command("check")
    assert checked.returncode == 0, checked.stderr
    assert f"settings: ok, from {service}\n" in checked.stdout
    assert f"database: ok, {database} at schema version" in checked.stdout
    backed_up = command("backup", str(tmp_path / "copy.sqlite3"))
    assert backed_up.returncode == 0, backed_up.stderr
    assert backed_up.stdout.startswith(f"backed up {database} to {tmp_path / 'copy.sqlite3'}")
    restored = command("restore", str(tmp_path / "copy.sqlite3"))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {tmp_path / 'copy.sqlite3'} to {database} (")
    assert list(home.iterdir()) == [], "nothing was made in the folder the commands were typed in"


def test_the_env_file_wins_over_the_environment_as_systemd_environmentfile_does(tmp_path: Path, service: Path) -> None:
    """systemd.exec(5): settings from EnvironmentFile= override Environment=; a command given the service's file
    acts on the service's database even when the shell exports another DATABASE_PATH."""
    elsewhere = tmp_path / "elsewhere.sqlite3"
    result = run_bot(tmp_path / "home", "--env-file", str(service), "check", DATABASE_PATH=str(elsewhere))
    assert result.returncode == 0, result.stderr
    assert f"DATABASE_PATH: {tmp_path / 'var' / 'bot.sqlite3'} (from {service})" in result.stdout
    assert not elsewhere.exists()


def test_a_missing_env_file_is_one_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "check", "--env-file", "/nonexistent/bot.env")
    assert result.returncode == 2
    assert errors(result.stderr) == [
        "error: --env-file /nonexistent/bot.env: no such file: give the settings file the bot runs with"
    ]


# -- a command other than run never creates a database ---------------------------------------------------------


def test_no_command_but_run_creates_a_database_and_each_says_where_it_looked(tmp_path: Path) -> None:
    token = make_token()
    where = f"no database at {tmp_path / 'data' / 'bot.sqlite3'} (DATABASE_PATH from the default)"
    for args in (("sync",), ("backup", "copy.sqlite3")):
        result = run_bot(tmp_path, *args, DISCORD_TOKEN=token)
        assert result.returncode == 2
        [line] = errors(result.stderr)
        assert line.startswith(f"error: {where}; DATABASE_PATH=data/bot.sqlite3 is relative"), line
        assert line.endswith(f"python -m bot --env-file PATH {args[0]}")
    checked = run_bot(tmp_path, "check", DISCORD_TOKEN=token)
    assert checked.returncode == 0, checked.stderr
    assert f"database: none at {tmp_path / 'data' / 'bot.sqlite3'} yet" in checked.stdout
    assert "--env-file PATH check" in checked.stdout
    assert "next reminders" not in checked.stdout, "no plan is made up from a database that is not there"
    assert list(tmp_path.iterdir()) == []


# -- check reads as a report ---------------------------------------------------------------------------------


def test_check_prints_settings_as_lines_and_no_log_lines(tmp_path: Path) -> None:
    """Without a token, each setting on its own line (no Python repr), and what the features log as they load
    (the reminders they plan) is not printed between them, even at LOG_LEVEL=INFO."""
    database_as_run_makes_it(tmp_path / "data" / "bot.sqlite3")
    result = run_bot(tmp_path, "check", LOG_LEVEL="INFO")
    assert result.returncode == 0, result.stderr
    assert "Settings(" not in result.stdout
    assert "  DISCORD_TOKEN: not set (needed to run, and for the invite link)\n" in result.stdout
    assert f"  DATABASE_PATH: {tmp_path / 'data' / 'bot.sqlite3'} (from the default)\n" in result.stdout
    assert result.stderr == ""


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another local user may enter (pytest's own temporary folders are private to root)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="hr-bot-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def as_nobody(folder: Path, *args: str) -> tuple[int, str, str]:
    """`python -m bot ARGS` in `folder` as the user nobody: this test process forks, drops to nobody and calls the
    entry point (the interpreter's own files may be private to root, so a new `python` could not start as nobody)."""
    import pwd

    nobody = pwd.getpwnam("nobody")
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.chdir(folder)
            for name in VARIABLES:
                os.environ.pop(name, None)
            sys.stdout = io.TextIOWrapper(io.FileIO(out_write, "w"), write_through=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(err_write, "w"), write_through=True)
            code = main(list(args))
        except BaseException as error:
            print(f"child failed: {error!r}", file=sys.stderr)
        finally:
            os._exit(code)
    os.close(out_write)
    os.close(err_write)
    with os.fdopen(out_read) as out, os.fdopen(err_read) as err:
        stdout, stderr = out.read(), err.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), stdout, stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to run as another user")
def test_check_as_another_user_over_a_private_data_folder_is_one_line(shared_folder: Path) -> None:
    database_as_run_makes_it(shared_folder / "data" / "bot.sqlite3")
    assert (shared_folder / "data").stat().st_mode & 0o777 == 0o700
    code, stdout, stderr = as_nobody(shared_folder, "check")
    assert code == 2, stderr
    assert errors(stderr) == [
        f"error: DATABASE_PATH=data/bot.sqlite3: this user (nobody) may not open the folder {shared_folder / 'data'}, "
        "which is root's (permission denied, as a bot's data folder should be): run the command as root, "
        "e.g. sudo -u root python -m bot …"
    ]
    assert stdout == ""


# -- the settings file holds the token -------------------------------------------------------------------------


def test_a_settings_file_others_may_read_is_warned_about_as_ssh_does(tmp_path: Path) -> None:
    database_as_run_makes_it(tmp_path / "data" / "bot.sqlite3")
    env = tmp_path / ".env"
    env.write_text(f"DISCORD_TOKEN={make_token()}\n", "utf-8")
    env.chmod(0o644)
    exposed = run_bot(tmp_path, "check")
    assert exposed.returncode == 0, exposed.stderr
    [warning] = [line for line in exposed.stderr.splitlines() if "WARNING" in line]
    assert warning.endswith(
        f"the settings file {env} holds the bot's token and other users may read it (mode 0644): run chmod 600 {env}"
    )
    env.chmod(0o600)
    private = run_bot(tmp_path, "check")
    assert private.returncode == 0 and private.stderr == ""


# -- backups are never overwritten by accident --------------------------------------------------------------


def test_backup_over_an_existing_file_needs_force(tmp_path: Path) -> None:
    database_as_run_makes_it(tmp_path / "data" / "bot.sqlite3")
    earlier = tmp_path / "backups" / "bot.sqlite3"
    earlier.parent.mkdir()
    earlier.write_bytes(b"yesterday's backup")
    refused = run_bot(tmp_path, "backup", "backups/bot.sqlite3")
    assert refused.returncode == 2
    assert errors(refused.stderr) == [
        f"error: {earlier} exists already: give the backup another name, or --force to replace it"
    ]
    assert earlier.read_bytes() == b"yesterday's backup"
    forced = run_bot(tmp_path, "backup", "backups/bot.sqlite3", "--force")
    assert forced.returncode == 0, forced.stderr
    assert earlier.read_bytes().startswith(b"SQLite format 3\0")


# -- a start with no network waits for it ----------------------------------------------------------------------


def test_a_start_without_network_waits_with_warnings_and_stops_cleanly(tmp_path: Path) -> None:
    """Nothing listens at DISCORD_API_BASE: the bot says so and waits (it used to exit 1, which a restart policy
    gives up on after a few quick tries); SIGTERM ends the wait with a clean exit."""
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env = {**clean, "DISCORD_TOKEN": make_token(), "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10"}
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        while line and "cannot reach Discord" not in line:
            line = process.stderr.readline()
        assert "WARNING" in line and f"cannot reach Discord at http://127.0.0.1:{port}/api/v10" in line, line
        assert line.rstrip().endswith("trying again in 5 s (check the network, or DISCORD_API_BASE if you set it)")
        process.send_signal(signal.SIGTERM)
        rest = process.stderr.read()
        assert process.wait(timeout=30) == 0, rest
        assert "Traceback" not in rest and "error:" not in rest
    finally:
        process.kill()
        process.wait()
