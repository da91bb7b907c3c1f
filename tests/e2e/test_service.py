"""The systemd service as an operator sets it up by following the README, run as systemd would run it.

Everything happens in private mount namespaces (`unshare --mount`), so nothing reaches this machine: /etc is a
copy, /opt/heated-rivalry-bot is this checkout mounted read-only (standing for the README's clone and its
virtual environment, which need the network), and /var/lib/heated-rivalry-bot is a temporary folder.

1. The README's block that creates the service user, its data folder and its settings file runs as written, as
   root; the operator then puts the token in the settings file (and, here, the emulator's address).
2. The unit's program runs as systemd would run it, every value read from the unit file: the environment
   systemd builds (`Environment=`, then `EnvironmentFile=` overriding it, systemd.exec(5)), `User=`/`Group=`
   with the user's groups, `UMask=`, `WorkingDirectory=`, `ProtectSystem=strict` (everything read-only but the
   state directory) and `PrivateTmp=`; against the emulator, standing for Discord.
3. A fan's slash command is answered, and the database is where the README says, private to the service user.

Needs root (mount namespaces, a service user); skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo.harness import fake_token
from fakediscord import FakeDiscord
from tests.e2e.conftest import stop
from tests.recipes import README, REPO, Unit, read_unit, readme_block

pytestmark = pytest.mark.slow

MARKER = "tests/e2e/test_service.py runs this block as written"


def _skip_unless_possible() -> None:
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("needs root: a mount namespace and a service user")
    missing = [name for name in ("unshare", "setpriv", "useradd", "install", "mount") if shutil.which(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespaces here: {probe.stderr.decode().strip()}")
    if Path(sys.prefix) != REPO / ".venv":
        pytest.skip("the test stands the checkout's .venv for /opt/heated-rivalry-bot/.venv; this one is elsewhere")


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class Layout:
    """Where the unit and the README put things, and the shell lines that make a namespace look like that."""

    def __init__(self, unit: Unit, tmp: Path) -> None:
        program = Path(shlex.split(unit.value("Service", "ExecStart"))[0])
        self.code = program.parents[2]  # /opt/heated-rivalry-bot/.venv/bin/python
        self.state = Path("/var/lib") / unit.value("Service", "StateDirectory")
        self.etc, self.state_source = tmp / "etc", tmp / "state"
        self.python = Path(sys.base_prefix).resolve()
        covered = [self.code.parent, self.state.parent, Path("/var/log")]
        hidden = [p for p in (REPO, self.python) for c in covered if _under(p, c)]
        if hidden:
            pytest.skip(f"{hidden[0]} lies where the test mounts the service's folders")
        subprocess.run(["cp", "-a", "/etc", str(self.etc)], check=True)
        self.state_source.mkdir()

    def mounts(self, *, writable: list[Path]) -> list[str]:
        """The service's folders at their real paths, this checkout and its interpreter reachable by any user,
        then every other mount read-only (as ProtectSystem=strict does), but the API file systems and `writable`."""
        q = shlex.quote
        lines = [
            f"mount -t tmpfs -o mode=0755 tmpfs {self.code.parent}",
            f"mkdir {self.code}",
            f"mount --bind -o ro {q(str(REPO))} {self.code}",
            f"mount --bind {q(str(self.etc))} /etc",
            f"mount -t tmpfs -o mode=0755 tmpfs {self.state.parent}",
            f"mkdir {self.state}",
            f"mount --bind {q(str(self.state_source))} {self.state}",
            "mount -t tmpfs -o mode=0755 tmpfs /var/log",  # useradd's lastlog and faillog
            *self._reachable([REPO, self.python], staging=self.code.parent / ".staging"),
        ]
        kept = " | ".join(["/proc", "/proc/*", "/sys", "/sys/*", "/dev", "/dev/*", *map(str, writable)])
        lines.append(
            f"for m in $(awk '{{print $5}}' /proc/self/mountinfo); do case \"$m\" in {kept}) ;; "
            '*) mount -o remount,bind,ro "$m";; esac; done'
        )
        return lines

    @staticmethod
    def _reachable(paths: list[Path], *, staging: Path) -> list[str]:
        """This machine's interpreter may live under /root (pyenv), which other users cannot enter: cover such a
        folder with an empty tmpfs and mount the paths back inside it, as a real install has /usr/bin/python3."""
        blocked: dict[Path, list[Path]] = {}
        for path in paths:
            closed = [a for a in reversed(path.parents) if not a.stat().st_mode & 0o001]
            if closed:
                blocked.setdefault(closed[0], []).append(path)
        lines = [f"mkdir {staging}"] if blocked else []  # on the tmpfs made for the code folder
        for n, (folder, inside) in enumerate(blocked.items()):
            stages = [(f"{staging}/{n}-{m}", shlex.quote(str(path))) for m, path in enumerate(inside)]
            lines += [line for stage, path in stages for line in (f"mkdir {stage}", f"mount --bind {path} {stage}")]
            lines.append(f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(folder))}")
            lines += [line for stage, path in stages for line in (f"mkdir -p {path}", f"mount --move {stage} {path}")]
        return lines

    def passwd(self, user: str) -> list[str]:
        """The user's line in the namespace's /etc/passwd (the copy the README's useradd wrote to)."""
        for line in (self.etc / "passwd").read_text("utf-8").splitlines():
            if line.split(":")[0] == user:
                return line.split(":")
        raise AssertionError(f"the README's steps made no user {user}")


def _run_readme_steps(layout: Layout) -> None:
    """Step 1: the README's block, as root, in the code folder, on a copy of /etc."""
    block = readme_block(MARKER)
    script = [*layout.mounts(writable=[Path("/etc"), layout.state, Path("/var/log")]), f"cd {layout.code}", *block]
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", "\n".join(script)],
        env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"the README's service steps failed:\n{result.stderr}"


async def test_the_service_set_up_by_the_readme_serves_commands_with_its_database_where_the_readme_says(
    fd: FakeDiscord, tmp_path: Path
) -> None:
    _skip_unless_possible()
    unit = read_unit()
    layout = Layout(unit, tmp_path)
    _run_readme_steps(layout)

    user, group = unit.value("Service", "User"), unit.value("Service", "Group")
    _, _, uid, _, _, home, shell = layout.passwd(user)
    (settings_path,) = unit.values("Service", "EnvironmentFile")
    settings = layout.etc / Path(settings_path).relative_to("/etc")
    assert settings.stat().st_mode & 0o777 == 0o600 and settings.stat().st_uid == int(uid), "only the service reads it"
    # The operator puts the token in; this test also points the bot at the emulator instead of Discord.
    text = settings.read_text("utf-8").replace("\nDISCORD_TOKEN=\n", f"\nDISCORD_TOKEN={fake_token()}\n")
    settings.write_text(text + f"DISCORD_API_BASE={fd.api_base}\nDISCORD_GATEWAY_URL={fd.gateway_url}\n", "utf-8")

    # Step 2: what systemd does for the unit, read from the unit file.
    environ = unit.environment({settings_path: settings.read_text("utf-8")})
    environ.update(HOME=home, USER=user, LOGNAME=user, SHELL=shell)
    private_tmp = unit.value("Service", "PrivateTmp") == "true" and not _under(REPO, Path("/tmp"))
    assert unit.value("Service", "ProtectSystem") == "strict"
    script = [
        *layout.mounts(writable=[layout.state]),
        *(["mount -t tmpfs -o mode=1777 tmpfs /tmp"] if private_tmp else []),
        f"cd {shlex.quote(unit.value('Service', 'WorkingDirectory'))}",
        f"umask {unit.value('Service', 'UMask')}",
        f"exec setpriv --reuid={user} --regid={group} --init-groups -- {unit.value('Service', 'ExecStart')}",
    ]
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("soundtrack")
    fan = guild.add_member("Shane")
    process = await asyncio.create_subprocess_exec(
        "unshare", "--mount", "--propagation", "private", "sh", "-ec", "\n".join(script), env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        identified = asyncio.ensure_future(fd.gateway.wait_for(lambda: fd.gateway.identify_count > 0, timeout=60))
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait({identified, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            identified.cancel()
            _, stderr = await process.communicate()
            pytest.fail(f"the service exited {process.returncode} before connecting:\n{stderr.decode()}")
        await identified
        await fd.wait_until_ready()

        reply = await fan.run("/soundtrack about", channel=channel)
        assert "tracks listed" in str(reply.embeds), "a fan's command is answered"

        # Step 3: the database is where the README says, private to the service user.
        database = Path(environ["DATABASE_PATH"])
        assert f"`DATABASE_PATH={database}`" in README.read_text("utf-8")
        assert database.parent == layout.state
        stored = layout.state_source / database.name
        assert stored.stat().st_uid == int(uid) and stored.stat().st_mode & 0o777 == 0o600
        code, log = await stop(process)
        assert code == 0 and "Traceback" not in log and fake_token() not in log, log
        assert {p.name for p in layout.state_source.iterdir()} <= {database.name, f"{database.name}.lock"}, (
            "nothing but the database (closed cleanly) and its lock in the state folder"
        )
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
