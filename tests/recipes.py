"""The deploy recipes read as their own tools read them, so tests check the files' real lines, not copies:

- a systemd unit, by systemd.syntax(7)'s rules;
- an environment file, by systemd.exec(5)'s rules for `EnvironmentFile=`, and the environment a unit's program
  gets (`Environment=`, then `EnvironmentFile=` overriding it, as systemd.exec(5) says);
- a `.dockerignore`, by Docker's rules for the build context;
- the README's shell blocks.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).parents[1]
UNIT_PATH = REPO / "deploy" / "heated-rivalry-bot.service"
SETTINGS_TEMPLATE = REPO / "deploy" / "bot.env"
README = REPO / "README.md"

# What systemd gives a service's PATH when the unit sets none (systemd.exec(5), "Environment variables in spawned
# processes"), with the /sbin and /bin of a system whose /usr is not merged.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Unit:
    """A unit file's assignments, in order, per section: keys repeat (`Environment=`) and are case-sensitive."""

    sections: dict[str, list[tuple[str, str]]]

    def values(self, section: str, key: str) -> list[str]:
        """Every assignment of `key`; an empty one resets the list, as it does for systemd's list settings."""
        found: list[str] = []
        for name, value in self.sections.get(section, []):
            if name == key:
                found = [*found, value] if value else []
        return found

    def value(self, section: str, key: str) -> str:
        """A single-valued setting: the last assignment wins."""
        values = self.values(section, key)
        assert values, f"[{section}] has no {key}="
        return values[-1]

    def environment(self, files: dict[str, str]) -> dict[str, str]:
        """The environment systemd gives the service's program (systemd.exec(5)): PATH, the user's HOME, USER,
        LOGNAME and SHELL (passed in `files` by the caller, who knows the user), then every `Environment=`
        assignment, then each `EnvironmentFile=` read in order; "settings from these files override settings
        made with Environment=". `files` maps each EnvironmentFile= path to its text; a missing file without
        systemd's "-" prefix is an error, as it is for systemd."""
        environ = {"PATH": SYSTEMD_PATH}
        for line in self.values("Service", "Environment"):
            for assignment in shlex.split(line):
                key, _, value = assignment.partition("=")
                environ[key] = value
        for path in self.values("Service", "EnvironmentFile"):
            optional = path.startswith("-")
            text = files.get(path.removeprefix("-"))
            assert text is not None or optional, f"the unit needs {path}, which does not exist"
            environ.update(environment_file(text or ""))
        return environ


def read_unit(path: Path = UNIT_PATH) -> Unit:
    """systemd.syntax(7): `[Section]` headers, `Key=Value` with whitespace around `=` ignored, lines starting
    with `#` or `;` ignored, and a line ending in a backslash continued on the next (the backslash read as a
    space; comment lines inside a continuation are skipped)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, separator, value = line.partition("=")
        assert separator and current is not None, f"{path.name}: not an assignment in a section: {raw!r}"
        current.append((key.strip(), value.strip()))
    return Unit(sections)


def environment_file(text: str) -> dict[str, str]:
    """systemd.exec(5), EnvironmentFile=: empty lines, lines without "=" and lines starting with ";" or "#" are
    ignored; leading and trailing whitespace is discarded; a line ending with a backslash continues on the next;
    a value in quotes is read as the shell reads it, and an unquoted one keeps its interior whitespace, a
    backslash preserving the character after it."""
    values: dict[str, str] = {}
    lines: Iterator[str] = iter(text.splitlines())
    for first in lines:
        line = first
        while line.endswith("\\"):
            line = line[:-1] + next(lines, "")
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if value[:1] in ("'", '"'):
            (values[key.strip()],) = shlex.split(value)
        else:
            values[key.strip()] = re.sub(r"\\(.)", r"\1", value)
    return values


def dockerignore_patterns(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """Docker's `.dockerignore` (docs.docker.com, "Dockerignore files"): one pattern a line, `#` lines are
    comments, a leading `!` makes an exception, paths are cleaned (a leading or trailing `/` dropped); Go's
    filepath.Match within one path element (`*`, `?`, `[...]`), and `**` for any number of folders, none
    included. Returns (exception, regex) pairs in file order."""
    patterns: list[tuple[bool, re.Pattern[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            else:
                char = pattern[i]
                if char == "*":
                    regex += "[^/]*"
                elif char == "?":
                    regex += "[^/]"
                elif char == "[":
                    end = pattern.index("]", i)
                    regex += "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]"
                    i = end
                else:
                    regex += re.escape(char)
                i += 1
        patterns.append((exception, re.compile(regex)))
    return patterns


def build_context(root: Path, dockerignore: str) -> set[str]:
    """The files Docker would send from `root`: a path is left out when the last pattern matching it, or one of
    its parent folders, is not an exception."""
    patterns = dockerignore_patterns(dockerignore)

    def excluded(relative: str) -> bool:
        parts = relative.split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        verdict = False
        for exception, regex in patterns:
            if any(regex.fullmatch(candidate) for candidate in candidates):
                verdict = not exception
        return verdict

    files = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())
    return {relative for relative in files if not excluded(relative)}


def readme_block(marker: str) -> list[str]:
    """The command lines of the README's shell block right after `<!-- marker -->`, comments dropped."""
    text = README.read_text("utf-8")
    start = text.index(f"<!-- {marker} -->")
    match = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no shell block after the README's {marker!r} marker"
    return list(_commands(match.group(1).splitlines()))


def _commands(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        command = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if command:
            yield command
