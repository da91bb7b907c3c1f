"""Settings: every variable validated before connecting, one line naming it, the token never shown."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.settings import DEFAULT_API_BASE, RedactingFilter, SettingsError, load_settings
from tests.conftest import APPLICATION_ID, make_token


def settings_error(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.token is None
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.api_base == DEFAULT_API_BASE
    assert settings.catalogue_paths == () and settings.dev_guild_id is None
    assert settings.log_level == "INFO"


def test_token_gives_application_id_and_is_never_in_repr(tmp_path: Path) -> None:
    token = make_token()
    settings = load_settings({"DISCORD_TOKEN": token, "DATABASE_PATH": str(tmp_path / "db.sqlite3")})
    assert settings.application_id == APPLICATION_ID
    assert token not in repr(settings) and token not in str(settings)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("Bot " + make_token(), "remove that prefix"),
        ('"' + make_token() + '"', "remove the quotes"),
        ("not-a-token", "does not look like a bot token"),
        ("a" * 32, "does not look like a bot token"),
    ],
)
def test_malformed_token(tmp_path: Path, token: str, expected: str) -> None:
    message = settings_error({"DISCORD_TOKEN": token, "DATABASE_PATH": str(tmp_path / "x.sqlite3")})
    assert message.startswith("DISCORD_TOKEN")
    assert expected in message
    assert token.strip('"').removeprefix("Bot ") not in message


def test_missing_token_is_required_only_to_run(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "x.sqlite3")})
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        settings.require_token()


def test_database_path_that_is_a_folder(tmp_path: Path) -> None:
    assert "is a folder" in settings_error({"DATABASE_PATH": str(tmp_path)})


def test_database_path_unwritable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    message = settings_error({"DATABASE_PATH": str(blocker / "sub" / "bot.sqlite3")})
    assert message.startswith("DATABASE_PATH=") and "cannot create the folder" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("missing.toml", "no such file"), ("overlay.json", "must be a TOML file")],
)
def test_bad_catalogue_path(tmp_path: Path, value: str, expected: str) -> None:
    (tmp_path / "overlay.json").write_text("{}")
    message = settings_error({"CATALOGUE_PATH": str(tmp_path / value), "DATABASE_PATH": str(tmp_path / "d.sqlite3")})
    assert message.startswith("CATALOGUE_PATH=") and expected in message


@pytest.mark.parametrize("value", ["abc", "123", "12345678901234567890123", "-1"])
def test_bad_dev_guild_id(tmp_path: Path, value: str) -> None:
    message = settings_error({"DEV_GUILD_ID": value, "DATABASE_PATH": str(tmp_path / "d.sqlite3")})
    assert message.startswith("DEV_GUILD_ID=") and "Copy Server ID" in message


def test_good_dev_guild_id_and_urls(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DEV_GUILD_ID": "987654321098765432",
            "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:8080/",
            "LOG_LEVEL": "debug",
            "DATABASE_PATH": str(tmp_path / "d.sqlite3"),
        }
    )
    assert settings.dev_guild_id == 987654321098765432
    assert settings.api_base == "http://127.0.0.1:8080/api/v10"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISCORD_API_BASE", "ftp://example.com"),
        ("DISCORD_API_BASE", "discord.com/api"),
        ("DISCORD_GATEWAY_URL", "https://gateway.discord.gg"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_urls_and_levels(tmp_path: Path, name: str, value: str) -> None:
    message = settings_error({name: value, "DATABASE_PATH": str(tmp_path / "d.sqlite3")})
    assert message.startswith(f"{name}=")


def test_log_filter_redacts_token() -> None:
    token = make_token()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting with %s", (token,), None)
    assert RedactingFilter(token).filter(record)
    assert token not in record.getMessage() and "[redacted]" in record.getMessage()


def test_global_rate_defaults_to_discords_limit_and_refuses_a_bad_value(tmp_path: Path) -> None:
    database = str(tmp_path / "db.sqlite3")
    assert load_settings({"DATABASE_PATH": database}).global_rate == 50
    assert load_settings({"DATABASE_PATH": database, "DISCORD_GLOBAL_RATE": "500"}).global_rate == 500
    for value in ("0", "fifty", "-5"):
        with pytest.raises(
            SettingsError, match=rf"DISCORD_GLOBAL_RATE='{value}' is not a rate: give requests per second"
        ):
            load_settings({"DATABASE_PATH": database, "DISCORD_GLOBAL_RATE": value})


def test_a_named_env_file_wins_over_the_environment_and_dot_env_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--env-file` is read as systemd reads EnvironmentFile= (it overrides Environment=, systemd.exec(5)), so a
    command given the service's file acts on the service's settings; `./.env` only fills in what the environment
    does not set (python-dotenv's rule), so one run can be changed from the shell."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "from-the-shell.sqlite3"))
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.delenv("DEV_GUILD_ID", raising=False)
    content = f"DATABASE_PATH={tmp_path / 'from-the-file.sqlite3'}\nDEV_GUILD_ID=987654321098765432\n"
    named = tmp_path / "service.env"
    named.write_text(content, "utf-8")
    (tmp_path / ".env").write_text(content, "utf-8")

    service = load_settings(env_file=named)
    assert service.database_path == tmp_path / "from-the-file.sqlite3"
    assert service.origin("DATABASE_PATH") == str(named) and service.env_file == named
    assert service.log_level == "DEBUG" and service.origin("LOG_LEVEL") == "the environment"

    local = load_settings()
    assert local.database_path == tmp_path / "from-the-shell.sqlite3"
    assert local.origin("DATABASE_PATH") == "the environment" and local.env_file == tmp_path / ".env"
    assert local.dev_guild_id == 987654321098765432, "what the environment does not set comes from .env"
    assert "DEV_GUILD_ID" not in os.environ, "reading a settings file leaves the process environment alone"


def test_several_overlays_in_catalogue_path(tmp_path: Path) -> None:
    first, second = tmp_path / "mine.toml", tmp_path / "musicbrainz.toml"
    first.write_text("", "utf-8")
    second.write_text("", "utf-8")
    settings = load_settings(
        {"CATALOGUE_PATH": f"{first}{os.pathsep}{second}{os.pathsep}", "DATABASE_PATH": str(tmp_path / "d.sqlite3")}
    )
    assert settings.catalogue_paths == (first, second)
    message = settings_error(
        {"CATALOGUE_PATH": f"{first}{os.pathsep}{tmp_path / 'gone.toml'}", "DATABASE_PATH": str(tmp_path / "d.sqlite3")}
    )
    assert message.startswith(f"CATALOGUE_PATH={tmp_path / 'gone.toml'}: no such file")


def test_shard_settings_name_this_process_shards_and_refuse_what_cannot_be_run(tmp_path: Path) -> None:
    base = {"DATABASE_PATH": str(tmp_path / "db.sqlite3"), "DATABASE_URL": "postgresql://bot@db.example/bot"}
    assert load_settings(base).shards.count is None, "unset: every recommended shard, in this one process"
    assert load_settings({**base, "SHARD_COUNT": "4", "SHARD_IDS": "0-1"}).shards.ids == (0, 1)
    assert load_settings({**base, "SHARD_COUNT": "4", "SHARD_IDS": "3, 0"}).shards.ids == (0, 3)
    assert load_settings({**base, "SHARD_COUNT": "4", "SHARD_IDS": "0-1,3"}).shards.describe() == "0-1,3 of 4"
    assert load_settings({**base, "SHARD_COUNT": "2"}).shards.ids == (0, 1), "a count alone: all of them here"
    assert (
        "SHARD_COUNT, SHARD_IDS: 0-1 of 4" in load_settings({**base, "SHARD_COUNT": "4", "SHARD_IDS": "0-1"}).describe()
    )
    for count in ("0", "four", "-1"):
        assert settings_error({**base, "SHARD_COUNT": count}).startswith(f"SHARD_COUNT='{count}' is not a shard count")
    assert settings_error({**base, "SHARD_IDS": "0-1"}).startswith("SHARD_IDS is set without SHARD_COUNT: give")
    for ids in ("4", "0-4", "1-0", "a", "0,,1", "-"):
        message = settings_error({**base, "SHARD_COUNT": "4", "SHARD_IDS": ids})
        assert message.startswith(f"SHARD_IDS='{ids}' is not a list of this process's shards"), message
        assert "from 0 to 3 (SHARD_COUNT=4)" in message
    sqlite = {"DATABASE_PATH": base["DATABASE_PATH"], "SHARD_COUNT": "4", "SHARD_IDS": "0-1"}
    assert settings_error(sqlite).startswith("SHARD_COUNT=4 (shards 0-1) needs DATABASE_URL")
