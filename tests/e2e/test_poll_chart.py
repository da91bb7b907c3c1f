"""The standings chart as fans get it: `/poll results` and the close summary attach a PNG with its alt text.

Through discord.py and the emulator, which records every attachment (bytes, content type, description).
"""

from __future__ import annotations

import io

from PIL import Image

from bot.chart import MAX_ROWS, WIDTH, chart_size
from fakediscord import Message, Reply
from fakediscord.state import StoredFile
from tests.e2e.conftest import FanServer, said
from tests.e2e.test_poll import answer, ballot_message, moderator, standings_of

SETTLE = 0.05  # every answer here is one message: no need to wait the default 0.3 s after each


def chart_of(message: Message | Reply) -> StoredFile:
    """The one attachment, checked to be a PNG that decodes completely and whose size Discord reports."""
    if isinstance(message, Reply):
        message = said(message)
    [chart] = message.files
    assert chart.content_type == "image/png" and chart.filename.endswith("-standings.png"), chart
    image = Image.open(io.BytesIO(chart.data))
    image.load()
    assert image.format == "PNG" and image.size == chart.dimensions
    assert message["attachments"][0]["description"] == chart.description
    return chart


async def test_results_attach_the_chart_of_the_top_15_and_the_text_stays(full_server: FanServer) -> None:
    tracks = [track.id for track in full_server.bot.catalogue.tracks_in_order()]
    voters = [full_server.fan, full_server.other_fan, moderator(full_server)]
    voters += [full_server.guild.add_member(f"Fan {n}") for n in range(17)]
    for voter, track in zip(voters, ["melt", "melt", "melt", *tracks[2:19]], strict=True):
        answer(await voter.run("/poll vote", track=track), ephemeral=True)

    results = await full_server.fan.run("/poll results")
    answer(results, ephemeral=False)
    chart = chart_of(results)
    assert chart.dimensions == chart_size(MAX_ROWS, more=True) and chart.dimensions[0] == WIDTH
    assert chart.description == "Bar chart of the top 15 of 18 tracks with votes. Leading: “Melt”, 3 votes."
    standings = standings_of(results)
    assert standings.startswith("**20** voters") and "**#1** Melt · track 2" in standings, "the text stays"
    assert "Test cue 18" in standings, "the text standings list every track, the chart the top 15"


async def test_the_close_summary_carries_the_chart_and_no_votes_attach_nothing(full_server: FanServer) -> None:
    mod = moderator(full_server)
    empty = await full_server.fan.run("/poll results")
    answer(empty, ephemeral=False)
    assert "No votes yet." in standings_of(empty) and said(empty).files == [], "nothing to draw, nothing attached"

    answer(await full_server.fan.run("/poll vote", track="rivalry"), ephemeral=True)
    answer(await full_server.other_fan.run("/poll vote", track="face-off"), ephemeral=True)
    answer(await mod.run("/poll vote", track="rivalry"), ephemeral=True)
    closed = await mod.run("/poll-admin close", channel=full_server.channel)
    answer(closed, ephemeral=False)
    assert closed.content == "Voting is closed for round 1." and "final standings" in closed.embeds[0]["title"]
    chart = chart_of(closed)
    assert chart.dimensions == chart_size(2, more=False)
    assert chart.description == "Bar chart of the 2 tracks with votes. Leading: “Rivalry”, 2 votes."
    posted = full_server.fd.channel_messages(full_server.channel)[-1]
    assert chart_of(posted).data == chart.data, "the whole channel sees it"


async def test_top3_charts_give_points_and_a_moderators_early_look_stays_private(full_server: FanServer) -> None:
    mod = moderator(full_server)
    answer(await mod.run("/poll-admin settings", mode="top3", results="hidden"), ephemeral=True)
    answer(await full_server.fan.run("/poll vote", track="melt", second="rivalry"), ephemeral=True)
    answer(
        await full_server.other_fan.run("/poll vote", track="rivalry", second="melt", third="two-souls"), ephemeral=True
    )
    peek = await mod.run("/poll results")
    answer(peek, ephemeral=True)
    chart = chart_of(peek)
    assert chart.dimensions == chart_size(3, more=False)
    assert chart.description == (
        "Bar chart of the 3 tracks with votes. Tied for the lead: “Rivalry” and “Melt”, 5 points each."
    )
    assert all(not m.files for m in full_server.fd.channel_messages(full_server.channel)), "nothing public"


async def test_the_ballots_results_button_answers_like_poll_results_chart_included(full_server: FanServer) -> None:
    mod = moderator(full_server)
    answer(await mod.run("/poll-admin post", options={"channel": full_server.channel}), ephemeral=True)
    ballot = ballot_message(full_server.fd, full_server.channel)
    answer(await full_server.fan.run("/poll vote", track="melt"), ephemeral=True)

    clicked = await full_server.other_fan.click(ballot, "Results")
    answer(clicked, ephemeral=True)
    chart = chart_of(clicked)
    assert chart.description == "Bar chart of the only track with votes. Leading: “Melt”, 1 vote."
    typed = await full_server.other_fan.run("/poll results")
    assert chart_of(typed).data == chart.data, "the same chart as the command"
