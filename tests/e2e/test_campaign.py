"""A fault campaign: members vote in two servers and reminders come due while Discord misbehaves and the bot is killed.

The real `python -m bot` runs against the emulator. Each round injects one fault (REST: route and global 429s,
5xx, stored-then-502 and slow answers; gateway: op 7, op 9 resumable and not, close 4000, a dropped TCP
connection), then new members vote in both servers; three rounds SIGKILL the process mid-vote and start it again.
A REST fault stays until it has failed its `count` requests (the global 429 waits for a reminder post).
Afterwards the emulator's record and the database must agree: every acknowledged ballot is stored exactly once,
every reminder went out exactly once, `integrity_check` is ok, no interaction went unanswered outside a gateway
fault or a kill, and the bot logged no ERROR.

CI runs a short campaign (`HR_CAMPAIGN_ROUNDS`, default 13: every fault once, and the three kills); a longer one, with its counts printed:
`HR_CAMPAIGN_ROUNDS=60 python -m pytest -n0 tests/e2e/test_campaign.py -s -m slow`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fakediscord import Channel, FakeDiscord, Fault, Reply, Role, pick
from tests.e2e.conftest import Start
from tests.e2e.test_reminders import MESSAGES, eventually, overlay, reminder_posts, seed, settled

ROUNDS = int(os.environ.get("HR_CAMPAIGN_ROUNDS", "13"))  # 13: each of the 10 faults once, and 3 kills
VOTERS_PER_SERVER = 2  # new members voting in each server, each round
RELEASES = 3  # reminders ("at release" in both servers) spread over the campaign
CALLBACK = "/interactions/{id}/{token}/callback"
FOLLOWUP = "/webhooks/{application_id}/{token}"
ANSWERED = "Your vote in round"

Inject = Callable[[FakeDiscord], object]

REST_FAULTS: list[tuple[str, Inject]] = [
    ("route 429 on answers", lambda fd: fd.faults.add("POST", FOLLOWUP, kind="429", retry_after=0.4, count=2)),
    ("global 429 on posts", lambda fd: fd.faults.add("POST", MESSAGES, kind="429", global_=True, count=2)),
    ("503 on answers", lambda fd: fd.faults.add("POST", FOLLOWUP, kind="5xx", status=503, count=1)),
    ("stored then 502", lambda fd: fd.faults.add("POST", CALLBACK, kind="commit_then_502", count=6)),
    ("slow answers", lambda fd: fd.faults.add("POST", FOLLOWUP, kind="delay", seconds=1.0, count=2)),
]
GATEWAY_FAULTS: list[tuple[str, Inject]] = [
    ("op 7", lambda fd: fd.gateway.send_reconnect()),
    ("op 9 resumable", lambda fd: fd.gateway.invalidate_session(True)),
    ("op 9 not resumable", lambda fd: fd.gateway.invalidate_session(False)),
    ("close 4000", lambda fd: fd.gateway.close(4000)),
    ("dropped TCP", lambda fd: fd.gateway.drop()),
]
KILL = "SIGKILL and restart"
GATEWAY = {name for name, _ in GATEWAY_FAULTS}


@dataclass
class Record:
    """What the campaign did and saw; `summary()` is the line the closing note quotes."""

    faults: Counter[str] = field(default_factory=Counter)  # rounds per fault
    rest_hits: Counter[str] = field(default_factory=Counter)  # requests a REST fault was applied to
    acknowledged: dict[tuple[str, str], str] = field(default_factory=dict)  # (guild id, user id) -> track id
    refused: Counter[str] = field(default_factory=Counter)  # answered, but not with the vote: the answer's start
    unanswered: Counter[tuple[str, str]] = field(default_factory=Counter)  # (the round's fault, what was missing)
    restarts: int = 0
    errors: list[str] = field(default_factory=list)  # ERROR lines in the bot's logs

    def summary(self, reminders: int) -> str:
        votes = len(self.acknowledged) + sum(self.refused.values()) + sum(self.unanswered.values())
        return (
            f"campaign: {ROUNDS} rounds, faults {dict(self.faults)}, REST requests failed {dict(self.rest_hits)}, "
            f"restarts {self.restarts}, votes {votes}, "
            f"acknowledged {len(self.acknowledged)}, refused {dict(self.refused)}, "
            f"unanswered { ({f'{fault}: no {what}': n for (fault, what), n in self.unanswered.items()}) }, "
            f"reminders posted {reminders}"
        )


def schedule(rounds: int) -> list[tuple[str, Inject | None]]:
    """Each round's fault: three kills spread over the campaign, the REST and gateway faults in turn between them."""
    kills = {rounds // 4, rounds // 2, 3 * rounds // 4}
    faults = [fault for pair in zip(REST_FAULTS, GATEWAY_FAULTS, strict=True) for fault in pair]
    others = iter(faults * (rounds // len(faults) + 1))
    return [(KILL, None) if n in kills else next(others) for n in range(rounds)]


async def vote(member: Any, number: int) -> tuple[Reply | None, str]:
    """One member votes for track `number` picked from the suggestions: (reply, track id), or (None, why)."""
    try:
        reply = await member.run("/poll vote", track=pick(str(number)))
    except AssertionError as error:  # no suggestions or no first response within 3 s: "… failed" on Discord
        return None, "suggestions" if "autocomplete" in str(error) else "first response"
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):  # a "thinking…" placeholder waits for its answer (discord.py retries)
            while reply.loading:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    return reply, str(reply.autocomplete["track"][0]["value"])


def callbacks(fd: FakeDiscord) -> int:
    """How many interaction responses the bot has sent so far (suggestions, "thinking…", answers)."""
    return sum(1 for request in fd.requests_to("POST") if request.path.endswith("/callback"))


async def killed(process: asyncio.subprocess.Process) -> str:
    process.kill()
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    return stderr.decode()


@pytest.mark.slow
async def test_a_fault_campaign_loses_nothing_and_doubles_nothing(
    fd: FakeDiscord, tmp_path: Path, launcher: Callable[[Path], Start]
) -> None:
    servers: list[tuple[Any, Channel, Role]] = []
    for name in ("Heated Rivalry Fans", "Shane & Ilya Appreciation"):
        guild = fd.add_guild(name)
        servers.append((guild, guild.add_text_channel("releases"), guild.add_role("Release news", mentionable=True)))
    database = tmp_path / "bot.sqlite3"
    start_at = int(time.time())
    moments = [dt.datetime.fromtimestamp(start_at + 10 + 8 * n, dt.UTC) for n in range(RELEASES)]
    path = tmp_path / "overlay.toml"
    path.write_text(overlay(*moments), "utf-8")
    await seed(database, servers, "0")
    start = launcher(path)
    record = Record()
    rest_faults: list[tuple[str, Fault]] = []
    bot = await start()

    for round_no, (name, inject) in enumerate(schedule(ROUNDS)):
        record.faults[name] += 1
        members = [
            (guild, guild.add_member(f"Fan {round_no}-{n}"))
            for guild, _, _ in servers
            for n in range(VOTERS_PER_SERVER)
        ]
        ballots = [vote(member, 1 + (round_no + n) % 8) for n, (_, member) in enumerate(members)]
        if inject is None:
            answered = callbacks(fd)
            voting = asyncio.gather(*ballots)
            # Every member has had suggestions and at least one vote is acknowledged: the bot is mid-vote.
            await eventually(lambda: callbacks(fd) > answered + len(members))  # noqa: B023
            record.errors += [line for line in (await killed(bot)).splitlines() if " ERROR " in line]
            bot = await start()
            record.restarts += 1
            outcomes = await voting
        else:
            sessions = fd.gateway.identify_count + fd.gateway.resume_count
            injected = inject(fd)
            outcomes = await asyncio.gather(*ballots)
            if isinstance(injected, Fault):
                rest_faults.append((name, injected))
            if name in GATEWAY:  # the fault's window ends once the bot has resumed or identified again
                await fd.gateway.wait_for(
                    lambda: fd.gateway.identify_count + fd.gateway.resume_count > sessions,  # noqa: B023
                    timeout=30,
                )
        for (guild, member), (reply, track) in zip(members, outcomes, strict=True):
            text = "" if reply is None else "\n".join(m.content for m in reply.messages)
            if reply is None or reply.loading:
                record.unanswered[(name, track if reply is None else "answer")] += 1
            elif text.startswith(ANSWERED):
                record.acknowledged[(str(guild.id), str(member.id))] = track
            else:
                record.refused[text[:60]] += 1
        await fd.wait_until_ready(timeout=30)  # REST faults stay until used up: the global 429 waits for a reminder

    # The last release comes out in real time (the bot schedules by the clock); then its posts are final.
    await asyncio.sleep(max(0.0, moments[-1].timestamp() + 1 - time.time()))
    await settled(database, timeout=60)
    process_log = (await killed(bot)).splitlines()
    record.errors += [line for line in process_log if " ERROR " in line]
    posted = {str(guild.id): reminder_posts(fd, channel) for guild, channel, _ in servers}
    for name, fault in rest_faults:  # how many requests Discord actually failed this way
        record.rest_hits[name] += fault.hits
    print(record.summary(sum(len(p) for p in posted.values())))

    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = Counter(
            (str(g), str(u), str(t))
            for g, u, t in conn.execute("SELECT guild_id, user_id, first_pick FROM poll_ballots")
        )
    for (guild_id, user_id), track in record.acknowledged.items():
        assert stored[(guild_id, user_id, track)] == 1, f"acknowledged ballot of {user_id} in {guild_id} is stored once"
    for guild_id, posts in posted.items():
        titles = sorted(post.embeds[0]["title"] for post in posts)
        assert titles == [f"Drop {n}" for n in range(1, RELEASES + 1)], f"each reminder exactly once in {guild_id}"
    windows = GATEWAY | {KILL}
    outside = {key: n for key, n in record.unanswered.items() if key[0] not in windows}
    assert outside == {}, "no interaction goes unanswered outside a gateway fault or a kill"
    assert not record.errors, "a fault is a warning; ERROR is for bugs:\n" + "\n".join(record.errors)
    assert record.acknowledged, "the campaign acknowledged votes at all"
