"""A real, throwaway PostgreSQL server in a temporary folder, for the tests and the benchmarks.

`initdb` makes a cluster in a fresh folder, `pg_ctl` starts it listening only on a unix socket in that folder (no
TCP port to collide with another worker's or the machine's own server), and `stop` removes it all. PostgreSQL
refuses to run as root, so under root (CI, the containers) the cluster belongs to `nobody`. The binaries are
looked for on PATH, then where Debian's `postgresql` package puts them (`/usr/lib/postgresql/<version>/bin`);
`.ci/run` installs that package.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROLE = "hrbot"  # the cluster's superuser, as the tests and benchmarks connect
NO_SERVER = "no PostgreSQL server here"
UNPRIVILEGED = "nobody"  # who runs the server when this process is root


class NoServer(Exception):
    """This machine has no PostgreSQL server programs (`initdb`, `pg_ctl`); the message says what to install."""


def binaries() -> Path:
    """The folder holding `initdb` and `pg_ctl`; raises `NoServer` when there is none."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]), reverse=True)
    if debian:
        return debian[0].parent
    raise NoServer(f"{NO_SERVER} (initdb, pg_ctl): install Debian's `postgresql` package, as .ci/run does")


@dataclass(frozen=True)
class Server:
    """A running cluster: `url(name)` is a `DATABASE_URL` for its database `name`."""

    folder: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}@/{database}?host={self.folder}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run `sql` with psql as the cluster's superuser; its output."""
        done = subprocess.run(
            [str(binaries() / "psql"), "-X", "-q", "-A", "-t", "-h", str(self.folder), "-U", ROLE, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.psql(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _owner() -> tuple[int, int] | None:
    """The (uid, gid) the server runs as: `nobody` under root, else None (this process's own user)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(UNPRIVILEGED)
    return entry.pw_uid, entry.pw_gid


def _run(args: list[str], owner: tuple[int, int] | None) -> None:
    kwargs = {} if owner is None else {"user": owner[0], "group": owner[1], "extra_groups": []}
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd="/", **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")


@contextlib.contextmanager
def running(*, durable: bool = False) -> Iterator[Server]:
    """A server for the block, removed afterwards. `durable` (the benchmarks): it writes as the bot's SQLite does,
    fsync on but without waiting for it at each commit (`synchronous_commit = off`, as SQLite's WAL with
    `synchronous = NORMAL`); otherwise no fsync at all, since a test's data never needs to survive a power cut."""
    bin_folder = binaries()
    owner = _owner()
    folder = Path(tempfile.mkdtemp(prefix="hr-pg-"))  # /tmp/hr-pg-…: short enough for a unix socket's path
    data = folder / "data"
    try:
        if owner is not None:
            os.chown(folder, *owner)
        _run([str(bin_folder / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], owner)  # fmt: skip
        options = f"-c listen_addresses='' -k {folder} -c max_connections=200 -c shared_buffers=32MB"
        options += " -c synchronous_commit=off" + ("" if durable else " -c fsync=off -c full_page_writes=off")
        _run([str(bin_folder / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
              "-t", "60", "start"], owner)  # fmt: skip
        try:
            yield Server(folder)
        finally:
            _run([str(bin_folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
