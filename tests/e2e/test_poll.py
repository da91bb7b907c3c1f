"""The favourite-track poll as fans and moderators see it, through discord.py and the emulator.

Every answer is checked for what the member reads (content, embeds, components), whether it is private
(ephemeral) and that it arrived inside Discord's 3-second window.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import pytest

from fakediscord import CommandNotAvailable, FakeDiscord, Member, Message, Reply, pick
from fakediscord import permissions as perms
from tests.e2e.conftest import FanServer, Start, kill, said

DEADLINE_S = 3.0
HIDDEN = "This server keeps the standings hidden until the poll closes"
CLOSED = "Voting is closed in this server's poll"


# conftest's emulator waits this long for more activity after each answer: every poll answer is a single
# initial response, so the default 0.3 s after each of the ~150 interactions here would only slow the file.
SETTLE = 0.05


def text_of(reply: Reply) -> str:
    """Everything a member reads in a reply: content and every embed's text."""
    message = said(reply)
    return (message.content or "") + "\n" + json.dumps(message.embeds, ensure_ascii=False)


def answer(reply: Reply, *, ephemeral: bool) -> str:
    """The reply's text, after checking it came in time, visible to the right people, and was accepted."""
    assert reply.elapsed is not None and reply.elapsed < DEADLINE_S, reply
    assert reply.rejected == [], reply.rejected
    assert said(reply).ephemeral is ephemeral, reply
    return text_of(reply)


def standings_of(reply: Reply) -> str:
    """The standings card's description (one embed)."""
    assert len(reply.embeds) == 1, reply.embeds
    return str(reply.embeds[0]["description"])


def moderator(server: FanServer, name: str = "Mod") -> Member:
    member: Member = server.guild.add_member(name, manage_guild=True)
    return member


def ballot_message(fd: FakeDiscord, channel: Any) -> Message:
    messages = fd.channel_messages(channel)
    assert messages, "the ballot was posted"
    return messages[-1]


def components(message: Message | Reply) -> list[dict[str, Any]]:
    rows = message.components
    return [c for row in rows for c in row["components"]]


async def ballots(server: FanServer) -> int:
    row = await server.bot.db.fetchone("SELECT COUNT(*) FROM poll_ballots")
    assert row is not None
    return int(row[0])


# -- voting by command ---------------------------------------------------------------------------------------


async def test_vote_change_mine_and_withdraw(full_server: FanServer) -> None:
    fan = full_server.fan
    voted = await fan.run("/poll vote", track=pick("rivl"))
    assert voted.autocomplete["track"][0] == {"name": "1. Rivalry", "value": "rivalry"}
    assert all(len(c["name"]) <= 100 for c in voted.autocomplete["track"]) and len(voted.autocomplete["track"]) <= 25
    text = answer(voted, ephemeral=True)
    assert text.startswith("Your vote in round 1: **Rivalry · track 1** (last changed <t:")
    assert "/poll withdraw" in text

    changed = await fan.run("/poll vote", track=pick("mlet"))
    assert answer(changed, ephemeral=True).startswith("Your vote in round 1: **Melt · track 2**")
    mine = await fan.run("/poll mine")
    assert answer(mine, ephemeral=True).startswith("Your vote in round 1: **Melt · track 2**")
    assert "Rivalry" not in mine.content

    results = await full_server.other_fan.run("/poll results")
    answer(results, ephemeral=False)
    standings = standings_of(results)
    assert standings.startswith("**1** voter · one favourite per member")
    assert "**#1** Melt · track 2" in standings and "1 vote (100%)" in standings
    assert "Rivalry" not in standings, "a changed vote is not counted twice"
    assert "round 1 · live standings" in results.embeds[0]["title"]

    withdrawn = await fan.run("/poll withdraw")
    assert answer(withdrawn, ephemeral=True).startswith("Your ballot is withdrawn")
    again = await fan.run("/poll withdraw")
    assert "nothing to withdraw" in answer(again, ephemeral=True)
    mine = await fan.run("/poll mine")
    assert answer(mine, ephemeral=True).startswith("You haven't voted in round 1 yet")
    empty = await fan.run("/poll results")
    answer(empty, ephemeral=False)
    assert standings_of(empty).startswith("**0** voters") and "No votes yet." in standings_of(empty)
    assert await ballots(full_server) == 0


async def test_free_text_that_matches_nothing_is_refused_with_suggestions(full_server: FanServer) -> None:
    fan = full_server.fan
    typed = await fan.run("/poll vote", track="Rivalry theme remix")
    text = answer(typed, ephemeral=True)
    assert text.startswith("`track`: No track matches 'Rivalry theme remix'. Did you mean: **1. Rivalry**")
    assert await ballots(full_server) == 0
    # Typed text that names a track exactly (a title, with Enter instead of a suggestion) is accepted.
    exact = await fan.run("/poll vote", track="two souls")
    assert answer(exact, ephemeral=True).startswith("Your vote in round 1: **Two Souls · track 8**")
    # A single-mode poll names the extra picks instead of dropping them silently.
    extra = await fan.run("/poll vote", track="melt", second="rivalry")
    assert "leave out `second`" in answer(extra, ephemeral=True)
    mine = await fan.run("/poll mine")
    assert "Two Souls" in answer(mine, ephemeral=True), "a refused vote leaves the ballot as it was"


# -- top-3 mode --------------------------------------------------------------------------------------------


async def test_top3_scores_3_2_1_and_mode_changes_wait_for_a_reset(full_server: FanServer) -> None:
    mod = moderator(full_server)
    fan, other = full_server.fan, full_server.other_fan
    saved = await mod.run("/poll-admin settings", mode="top3")
    assert "mode **top3** (top 3 per member, scored 3-2-1)" in answer(saved, ephemeral=True)

    first = await fan.run("/poll vote", track=pick("rivalry"), second=pick("melt"), third=pick("two souls"))
    text = answer(first, ephemeral=True)
    assert "**#1** Rivalry · track 1 (3 pts)" in text and "**#3** Two Souls · track 8 (1 pt)" in text
    answer(await other.run("/poll vote", track="melt", second="rivalry"), ephemeral=True)

    tied = await fan.run("/poll results")
    standings = standings_of(tied)
    assert standings.startswith("**2** voters · top 3 per member, scored 3-2-1")
    assert "**#1 (tie)** Rivalry · track 1" in standings and "**#1 (tie)** Melt · track 2" in standings
    assert standings.index("Rivalry") < standings.index("Melt"), "tied tracks are listed in album order"

    answer(await mod.run("/poll vote", track="melt"), ephemeral=True)
    results = await fan.run("/poll results")
    answer(results, ephemeral=False)
    lines = standings_of(results).split("\n")
    assert lines[0] == "**3** voters · top 3 per member, scored 3-2-1"
    assert lines[2] == "**#1** Melt · track 2" and lines[3].endswith("8 pts · 3 votes (100%)")
    assert lines[4] == "**#2** Rivalry · track 1" and lines[5].endswith("5 pts · 2 votes (67%)")
    assert lines[6] == "**#3** Two Souls · track 8" and lines[7].endswith("1 pt · 1 vote (33%)")

    repeated = await fan.run("/poll vote", track="melt", second="melt")
    assert "`second` repeats `track`" in answer(repeated, ephemeral=True)

    refused = await mod.run("/poll-admin settings", mode="single")
    text = answer(refused, ephemeral=True)
    assert "Round 1 already has 3 ballots in `top3` mode" in text and "/poll-admin reset" in text
    shown = await mod.run("/poll-admin settings")
    assert "mode **top3**" in answer(shown, ephemeral=True), "the refused change did not happen"


# -- concurrency ---------------------------------------------------------------------------------------------


async def test_concurrent_votes_and_double_submissions_count_once(full_server: FanServer) -> None:
    fans = [full_server.guild.add_member(f"Fan{n}") for n in range(24)]
    await full_server.fd.gateway.sync()

    # Everyone votes, each of them twice at the same moment (a double click, a retry).
    first = await asyncio.gather(
        *(fan.run("/poll vote", track=pick("rivalry") if n % 4 else "rivalry") for n, fan in enumerate(fans)),
        *(fan.run("/poll vote", track="rivalry") for fan in fans),
    )
    for reply in first:
        assert "**Rivalry · track 1**" in answer(reply, ephemeral=True)
    assert await ballots(full_server) == 24

    # Half change their vote (again twice at once), the others look at their ballot meanwhile.
    changers, keepers = fans[:12], fans[12:]
    second = await asyncio.gather(
        *(fan.run("/poll vote", track="melt") for fan in changers),
        *(fan.run("/poll vote", track=pick("melt")) for fan in changers),
        *(fan.run("/poll mine") for fan in keepers),
    )
    for reply in second:
        assert answer(reply, ephemeral=True).startswith("Your vote in round 1: **")
    # One member sends two different votes at once: whichever lands last is the ballot, never both.
    racing = fans[0]
    await asyncio.gather(racing.run("/poll vote", track="two-souls"), racing.run("/poll vote", track="face-off"))
    assert await ballots(full_server) == 24

    mine = await racing.run("/poll mine")
    last = "Two Souls" if "Two Souls" in mine.content else "Face-Off"
    assert last in mine.content and ("Face-Off" if last == "Two Souls" else "Two Souls") not in mine.content
    results = await full_server.fan.run("/poll results")
    standings = standings_of(results)
    assert standings.startswith("**24** voters")
    assert "**#1** Rivalry · track 1\n`████████████` 12 votes (50%)" in standings
    assert "**#2** Melt · track 2" in standings and "11 votes (46%)" in standings
    assert f"**#3** {last} · track" in standings and "1 vote (4%)" in standings


# -- the ballot message ------------------------------------------------------------------------------------


async def test_ballot_message_lists_34_tracks_in_two_menus_and_votes(full_server: FanServer) -> None:
    fd, channel = full_server.fd, full_server.channel
    mod = moderator(full_server)
    fan = full_server.fan
    with pytest.raises(CommandNotAvailable, match="default_member_permissions"):
        await fan.run("/poll-admin post", options={"channel": channel})
    admin = next(c for c in fd.commands(full_server.guild) if c["name"] == "poll-admin")
    assert int(admin["default_member_permissions"]) == perms.MANAGE_GUILD
    poll = next(c for c in fd.commands(full_server.guild) if c["name"] == "poll")
    assert poll.get("default_member_permissions") is None, "every member can vote"

    locked = full_server.guild.add_text_channel("announcements", bot_permissions=perms.VIEW_CHANNEL)
    await fd.gateway.sync()
    refused = await mod.run("/poll-admin post", options={"channel": locked})
    assert answer(refused, ephemeral=True).startswith(
        f"I can't post the ballot in {locked.mention}: I need Send Messages and Embed Links there."
    )
    assert fd.channel_messages(locked) == []

    posted = await mod.run("/poll-admin post", options={"channel": channel})
    assert answer(posted, ephemeral=True).startswith("Ballot posted: https://discord.com/channels/")
    message = ballot_message(fd, channel)
    assert not message.ephemeral and message["author"]["id"] == fd.bot_user_id
    assert message.embeds[0]["title"] == "Favourite Heated Rivalry track"
    assert len(message.components) == 3, "two menu rows and one button row"
    items = components(message)
    menus = [c for c in items if c["type"] == 3]
    assert [m["custom_id"] for m in menus] == ["hr:poll:pick:0", "hr:poll:pick:1"]
    assert all(len(m["options"]) <= 25 for m in menus)
    values = [o["value"] for m in menus for o in m["options"]]
    assert len(values) == len(set(values)) == 34
    assert values[0] == "rivalry" and values[-1] == "its-you"
    assert [m["placeholder"] for m in menus] == ["Tracks 1–17", "Tracks 18–34"]
    assert [b["label"] for b in items if b["type"] == 2] == ["My vote", "Results"]

    chosen = await fan.select(message, ["test-cue-20"], custom_id="hr:poll:pick:1")
    assert answer(chosen, ephemeral=True).startswith("Your vote in round 1: **Test cue 20 · track 20**")
    again = await fan.select(message, ["melt"], custom_id="hr:poll:pick:0")
    assert "**Melt · track 2**" in answer(again, ephemeral=True)
    other = await full_server.other_fan.select(message, ["melt"], custom_id="hr:poll:pick:0")
    answer(other, ephemeral=True)

    mine = await fan.click(message, "My vote")
    assert answer(mine, ephemeral=True).startswith("Your vote in round 1: **Melt · track 2**")
    theirs = await mod.click(message, "My vote")
    assert answer(theirs, ephemeral=True).startswith("You haven't voted"), "each member sees only their own"
    results = await fan.click(message, "Results")
    answer(results, ephemeral=True)
    assert standings_of(results).startswith("**2** voters") and "2 votes (100%)" in standings_of(results)
    assert fd.channel_messages(channel)[-1] is message, "answers to members stay private"


async def test_ballot_menu_in_top3_mode_asks_for_the_rank(full_server: FanServer) -> None:
    fd, channel = full_server.fd, full_server.channel
    mod = moderator(full_server)
    fan = full_server.fan
    answer(await mod.run("/poll-admin settings", mode="top3"), ephemeral=True)
    answer(await mod.run("/poll-admin post", options={"channel": channel}), ephemeral=True)
    message = ballot_message(fd, channel)

    asked = await fan.select(message, ["melt"], custom_id="hr:poll:pick:0")
    assert "Where does **Melt · track 2** go on your top 3?" in answer(asked, ephemeral=True)
    assert [b["label"] for b in components(said(asked))] == ["#1 (3 pts)", "#2 (2 pts)", "#3 (1 pt)"]
    placed = await fan.click(asked, "#3 (1 pt)")
    text = answer(placed, ephemeral=True)
    assert "**#1** Melt · track 2 (3 pts)" in text, "ranks are never left empty"
    assert said(placed).id == said(asked).id, "the rank question is updated in place"

    asked = await fan.select(message, ["its-you"], custom_id="hr:poll:pick:1")
    placed = await fan.click(asked, "#1 (3 pts)")
    text = answer(placed, ephemeral=True)
    assert "**#1** It's You · track 34 (3 pts)" in text and "**#2** Melt · track 2 (2 pts)" in text
    results = await fan.run("/poll results")
    assert "3 pts · 1 vote" in standings_of(results) and "2 pts · 1 vote" in standings_of(results)

    # While voting is closed the menu says so at once, before asking for a rank.
    answer(await mod.run("/poll-admin close"), ephemeral=False)
    closed = await fan.select(message, ["rivalry"], custom_id="hr:poll:pick:0")
    assert answer(closed, ephemeral=True).startswith(CLOSED) and components(said(closed)) == []
    answer(await mod.run("/poll-admin open"), ephemeral=False)

    # A rank question left open across a reset is refused rather than counted in the new round.
    pending = await fan.select(message, ["rivalry"], custom_id="hr:poll:pick:0")
    await mod.click(await mod.run("/poll-admin reset"), "Start round 2")
    stale = await fan.click(pending, "#1 (3 pts)")
    assert answer(stale, ephemeral=True).startswith("That choice was made for round 1, and round 2 has started")
    assert await ballots(full_server) == 0


@pytest.mark.slow
async def test_ballot_message_works_after_a_sigkill_restart(fd: FakeDiscord, start_bot: Start) -> None:
    guild = fd.add_guild("Heated Rivalry Fans")
    channel = guild.add_text_channel("poll")
    mod = guild.add_member("Mod", manage_guild=True)
    fan = guild.add_member("Shane")
    other = guild.add_member("Ilya")

    first = await start_bot()
    answer(await mod.run("/poll-admin post", options={"channel": channel}), ephemeral=True)
    message = ballot_message(fd, channel)
    # The bot runs in its own process: a select updates the ballot, then confirms privately (`Reply.followed`).
    before = await (await fan.select(message, ["rivalry"], custom_id="hr:poll:pick:0")).followed()
    assert "**Rivalry · track 1**" in answer(before, ephemeral=True)
    await kill(first)

    await start_bot()
    mine = await fan.click(message, "My vote")
    assert "**Rivalry · track 1**" in answer(mine, ephemeral=True), "the vote cast before the crash was kept"
    after = await (await other.select(message, ["test-cue-30"], custom_id="hr:poll:pick:1")).followed()
    assert "**Test cue 30 · track 30**" in answer(after, ephemeral=True)
    changed = await (await fan.select(message, ["its-you"], custom_id="hr:poll:pick:1")).followed()
    assert "**It's You · track 34**" in answer(changed, ephemeral=True)
    results = await other.click(message, "Results")
    answer(results, ephemeral=True)
    standings = standings_of(results)
    assert standings.startswith("**2** voters") and "Rivalry" not in standings
    assert "Test cue 30" in standings and "It's You" in standings


# -- hidden results, closing ---------------------------------------------------------------------------------


async def test_hidden_results_close_and_closed_poll_refusal(full_server: FanServer) -> None:
    fd, channel = full_server.fd, full_server.channel
    mod = moderator(full_server)
    fan, other = full_server.fan, full_server.other_fan
    saved = await mod.run("/poll-admin settings", results="hidden")
    assert "results **hidden from members until the poll closes**" in answer(saved, ephemeral=True)
    answer(await mod.run("/poll-admin post", options={"channel": channel}), ephemeral=True)
    message = ballot_message(fd, channel)
    answer(await fan.run("/poll vote", track="melt"), ephemeral=True)
    answer(await other.select(message, ["melt"], custom_id="hr:poll:pick:0"), ephemeral=True)

    hidden = await fan.run("/poll results")
    assert answer(hidden, ephemeral=True).startswith(HIDDEN) and hidden.embeds == []
    button = await other.click(message, "Results")
    assert answer(button, ephemeral=True).startswith(HIDDEN)
    peek = await mod.run("/poll results")
    answer(peek, ephemeral=True)
    assert "2 votes (100%)" in standings_of(peek) and "only you can see this" in peek.embeds[0]["footer"]["text"]
    assert answer(await mod.click(message, "Results"), ephemeral=True)

    with pytest.raises(CommandNotAvailable):
        await fan.run("/poll-admin close")
    closed = await mod.run("/poll-admin close", channel=channel)
    text = answer(closed, ephemeral=False)
    assert closed.content == "Voting is closed for round 1."
    assert "round 1 · final standings" in closed.embeds[0]["title"]
    assert "**#1** Melt · track 2" in standings_of(closed) and "**2** voters" in standings_of(closed)
    assert "only you can see" not in text
    again = await mod.run("/poll-admin close")
    assert answer(again, ephemeral=True).startswith("The poll is already closed.")

    late = await fan.run("/poll vote", track="rivalry")
    assert answer(late, ephemeral=True).startswith(CLOSED)
    late_menu = await other.select(message, ["rivalry"], custom_id="hr:poll:pick:0")
    assert answer(late_menu, ephemeral=True).startswith(CLOSED)
    final = await fan.run("/poll results")
    answer(final, ephemeral=False)
    assert "final standings" in final.embeds[0]["title"] and "Rivalry" not in standings_of(final)
    mine = await fan.run("/poll mine")
    assert "**Melt · track 2**" in answer(mine, ephemeral=True)

    reopened = await mod.run("/poll-admin open")
    assert answer(reopened, ephemeral=False).startswith("Voting is open for round 1")
    assert answer(await fan.run("/poll results"), ephemeral=True).startswith(HIDDEN)
    assert "**Rivalry · track 1**" in answer(await fan.run("/poll vote", track="rivalry"), ephemeral=True)


# -- reset and history -------------------------------------------------------------------------------------


async def test_reset_needs_the_invokers_confirmation_and_keeps_history(full_server: FanServer) -> None:
    mod = moderator(full_server)
    other_mod = moderator(full_server, "OtherMod")
    fan, other = full_server.fan, full_server.other_fan
    answer(await fan.run("/poll vote", track="rivalry"), ephemeral=True)
    answer(await other.run("/poll vote", track="melt"), ephemeral=True)
    answer(await mod.run("/poll vote", track="melt"), ephemeral=True)

    asked = await mod.run("/poll-admin reset")
    text = answer(asked, ephemeral=True)
    assert text.startswith("Start round 2? Round 1's final standings stay in history")
    assert [b["label"] for b in components(asked)] == ["Start round 2"]
    with pytest.raises(AssertionError, match="cannot see the ephemeral message"):
        await other_mod.click(asked, "Start round 2")
    assert await ballots(full_server) == 3, "nothing happened before the confirmation"

    # The button re-checks Manage Server: a moderator who lost it since cannot confirm.
    mod.remove_role(full_server.guild.moderator_role)
    demoted = await mod.click(asked, "Start round 2")
    assert answer(demoted, ephemeral=True) == "You need the Manage Server permission to start a new round.\n[]"
    assert await ballots(full_server) == 3
    mod.add_role(full_server.guild.moderator_role)
    confirmed = await mod.click(asked, "Start round 2")
    answer(confirmed, ephemeral=True)
    assert confirmed.content == "Round 2 has started. Round 1 ended with 3 voters; its final standings are kept:"
    assert "round 1 · final standings" in confirmed.embeds[0]["title"]
    assert confirmed.components == [], "the confirmation button is gone"
    assert await ballots(full_server) == 0, "individual ballots are not kept"

    now = await fan.run("/poll results")
    answer(now, ephemeral=False)
    assert "round 2 · live standings" in now.embeds[0]["title"] and "No votes yet." in standings_of(now)
    assert answer(await fan.run("/poll mine"), ephemeral=True).startswith("You haven't voted in round 2 yet")
    history = await fan.run("/poll results", round=1)
    answer(history, ephemeral=False)
    assert "round 1 · final standings" in history.embeds[0]["title"]
    standings = standings_of(history)
    assert standings.startswith("**3** voters") and "**#1** Melt · track 2" in standings
    assert "**#2** Rivalry · track 1" in standings
    missing = await fan.run("/poll results", round=3)
    assert "There is no round 3" in answer(missing, ephemeral=True)

    # The new round can change mode, since it has no ballots yet.
    assert "mode **top3**" in answer(await mod.run("/poll-admin settings", mode="top3"), ephemeral=True)
    answer(await fan.run("/poll vote", track="face-off", second="melt"), ephemeral=True)
    assert "**1** voter · top 3" in standings_of(await fan.run("/poll results"))
    assert "one favourite per member" in standings_of(await fan.run("/poll results", round=1))


# -- export ----------------------------------------------------------------------------------------------


async def test_export_is_a_csv_of_standings_without_member_ids(full_server: FanServer) -> None:
    mod = moderator(full_server)
    fan, other = full_server.fan, full_server.other_fan
    answer(await fan.run("/poll vote", track="melt"), ephemeral=True)
    answer(await other.run("/poll vote", track="melt"), ephemeral=True)
    answer(await mod.run("/poll vote", track="its-you"), ephemeral=True)

    exported = await mod.run("/poll-admin export")
    text = answer(exported, ephemeral=True)
    assert text.startswith("Standings of round 1: **3** voters")
    assert exported.message is not None
    files = exported.message.files
    assert [f.filename for f in files] == ["poll-round-1.csv"]
    data = files[0].text
    assert files[0].data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads accents right"
    rows = list(csv.reader(io.StringIO(files[0].data.decode("utf-8-sig"))))
    assert rows == [
        ["place", "tied", "track_id", "track_number", "title", "in_catalogue", "votes", "points"],
        ["1", "no", "melt", "2", "Melt", "yes", "2", "2"],
        ["2", "no", "its-you", "34", "It's You", "yes", "1", "1"],
    ]
    for member in (fan, other, mod):
        assert member.id not in data and member.name not in data
    with pytest.raises(CommandNotAvailable):
        await fan.run("/poll-admin export")


# -- isolation -----------------------------------------------------------------------------------------------


async def test_two_servers_never_see_each_others_votes(full_server: FanServer) -> None:
    fd = full_server.fd
    other_guild = fd.add_guild("Another Fan Server")
    third_guild = fd.add_guild("A Third Fan Server")
    await fd.gateway.sync()
    here = full_server.fan
    there = other_guild.add_member("Shane")
    elsewhere = third_guild.add_member("Rose")
    there_mod = other_guild.add_member("Mod", manage_guild=True)

    saved = await there_mod.run("/poll-admin settings", mode="top3", results="hidden")
    assert answer(saved, ephemeral=True).startswith("Saved.")
    answer(await here.run("/poll vote", track="rivalry"), ephemeral=True)
    answer(await there.run("/poll vote", track="melt"), ephemeral=True)

    here_results = standings_of(await here.run("/poll results"))
    assert here_results.startswith("**1** voter · one favourite") and "Rivalry" in here_results
    assert "Melt" not in here_results
    there_results = standings_of(await there_mod.run("/poll results"))
    assert there_results.startswith("**1** voter") and "Melt" in there_results and "Rivalry" not in there_results
    assert answer(await there.run("/poll results"), ephemeral=True).startswith(HIDDEN)
    assert "No votes yet." in standings_of(await elsewhere.run("/poll results"))
    assert answer(await elsewhere.run("/poll mine"), ephemeral=True).startswith("You haven't voted")

    # Withdrawing in one server leaves the other server's ballots alone.
    assert "Rivalry" in answer(await here.run("/poll mine"), ephemeral=True)
    withdrawn = await there.run("/poll withdraw")
    assert answer(withdrawn, ephemeral=True).startswith("Your ballot is withdrawn")
    assert "Rivalry" in answer(await here.run("/poll mine"), ephemeral=True)
    assert "**1** voter" in standings_of(await here.run("/poll results"))
