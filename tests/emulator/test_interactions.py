"""Slash commands, autocomplete, components, modals and the interaction state machine."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from fakediscord import CommandNotAvailable, pick
from tests.cogs.reminders.fakes import eventually

from .conftest import STEPS, Env


async def test_public_reply(env: Env) -> None:
    reply = await env.fan.run("/soundtrack track", track="rivalry")
    assert reply.content == "Track: rivalry" and not reply.ephemeral and not reply.deferred
    assert reply.response_type == 4
    assert reply.elapsed is not None and reply.elapsed < 3
    assert reply.message is not None and reply.message["type"] == 20
    assert env.fd.channel_messages(env.guild.system_channel)[-1] is reply.message


async def test_ephemeral_reply_stays_out_of_the_channel(env: Env) -> None:
    reply = await env.fan.run("/soundtrack track", track="rivalry", private=True, channel=env.chan)
    assert reply.ephemeral and reply.content == "Track: rivalry"
    assert env.fd.channel_messages(env.chan) == []


async def test_autocomplete_round_trip(env: Env) -> None:
    choices = await env.fan.autocomplete("/soundtrack track", "track", "rivl")
    assert [c["value"] for c in choices] == ["rivalry", "rival hearts", "river song"]
    reply = await env.fan.run("/soundtrack track", track="rivalry")
    assert reply.autocomplete_choices is not None and reply.autocomplete_choices[0]["value"] == "rivalry"


@pytest.mark.short_deadline
async def test_too_many_autocomplete_choices_is_a_violation(env: Env) -> None:
    with pytest.raises(AssertionError, match="Loading options failed"):
        await env.fan.autocomplete("/soundtrack track", "track", "many")
    paths = {v.path for v in env.fd.violations}
    assert "data.choices" in paths
    assert all(v.route.startswith("/interactions/") for v in env.fd.violations)


async def test_button_click_updates_the_message(env: Env) -> None:
    reply = await env.fan.run("/panel")
    labels = [c.get("label") for row in reply.components for c in row["components"]]
    assert "Next" in labels and "Ask" in labels
    turned = await env.fan.click(reply, "Next")
    assert turned.response_type == 7
    assert turned.message is not None and reply.message is not None
    assert turned.message["id"] == reply.message["id"]
    assert turned.content == "page 2" and turned.components == []
    assert reply.content == "page 2", "replies read the message live"
    with pytest.raises(AssertionError, match="no button 'Next'"):
        await env.fan.click(turned, "Next")


async def test_a_deferred_update_is_waited_for_however_late_its_edit(env: Env) -> None:
    """Type 6 promises an edit "later" (`InteractionRecord.awaiting_edit`): the click returns with it."""
    reply = await env.fan.run("/panel")
    later = await env.fan.click(reply, "Later")
    assert later.response_type == 6 and later.content == "page 3"


async def test_a_follow_up_after_an_update_is_waited_for_while_the_application_is_busy(env: Env) -> None:
    """Only the application knows a follow-up is coming: `FakeDiscord.busy` says so, and the click waits for it."""
    handlers = ("discord-ui-",)
    env.fd.busy = lambda: any(not t.done() and t.get_name().startswith(handlers) for t in asyncio.all_tasks())
    confirmed = await env.fan.click(await env.fan.run("/panel"), "Confirm")
    assert confirmed.response_type == 7 and confirmed.content == "confirming"
    assert [(f.content, f.ephemeral) for f in confirmed.followups] == [("confirmed", True)]


async def test_without_a_busy_signal_a_late_follow_up_is_not_waited_for(env: Env) -> None:
    """The default: Discord cannot know what the application will do, so only the quiet period counts."""
    confirmed = await env.fan.click(await env.fan.run("/panel"), "Confirm")
    assert confirmed.followups == []
    await eventually(lambda: len(confirmed.followups) == 1)
    assert confirmed.followups[0].content == "confirmed"


async def test_select_and_modal(env: Env) -> None:
    reply = await env.fan.run("/panel")
    picked = await env.fan.select(reply, values=["river song"], custom_id="panel:pick")
    assert picked.ephemeral and picked.content == "picked river song"
    with pytest.raises(AssertionError, match="no option"):
        await env.fan.select(reply, values=["nope"], custom_id="panel:pick")
    asked = await env.fan.click(reply, "panel:ask")
    assert asked.modal is not None and asked.modal["title"] == "Favourite track"
    with pytest.raises(AssertionError, match="required"):
        await env.fan.submit_modal(asked, {})
    answered = await env.fan.submit_modal(asked, {"ask:answer": "Rivalry"})
    assert answered.content == "you said Rivalry"


async def test_deferred_then_edit_and_followup(env: Env) -> None:
    reply = await env.fan.run("/slow", count=2)
    assert reply.deferred and not reply.loading
    assert reply.content == "done x2"
    assert reply.message is not None and reply.message.flags & 128 == 0
    assert [f.content for f in reply.followups] == ["extra"]
    assert reply.followups[0].ephemeral
    assert [m.content for m in env.fd.channel_messages(env.guild.system_channel)] == ["done x2"]


async def test_channel_option_resolved_and_posts(env: Env) -> None:
    reply = await env.fan.run("/post", options={"where": env.chan}, text="hello fans")
    assert reply.ephemeral and reply.content == f"posted in <#{env.chan.id}>"
    assert [m.content for m in env.fd.channel_messages(env.chan)] == ["hello fans"]


async def test_unknown_command_and_option(env: Env) -> None:
    with pytest.raises(CommandNotAvailable, match="not a registered slash command"):
        await env.fan.run("/nope")
    with pytest.raises(AssertionError, match="no option 'bogus'"):
        await env.fan.run("/soundtrack track", track="x", bogus=1)
    with pytest.raises(AssertionError, match="requires option 'track'"):
        await env.fan.run("/soundtrack track")
    with pytest.raises(AssertionError, match="needs a subcommand"):
        await env.fan.run("/soundtrack")
    with pytest.raises(AssertionError, match="integer"):
        await env.fan.run("/slow", count="many")


@pytest.mark.short_deadline
async def test_embed_field_too_long_in_a_response(env: Env) -> None:
    with pytest.raises(AssertionError, match="Discord rejected"):
        await env.fan.run("/bigfield")
    assert [v.path for v in env.fd.violations if v.source == "limits"] == ["data.embeds.0.fields.0.value"]


@pytest.mark.short_deadline
async def test_no_response_fails_and_late_or_second_callbacks_are_refused(env: Env) -> None:
    fd = env.fd
    ok = await env.fan.run("/soundtrack track", track="rivalry")
    with pytest.raises(AssertionError, match=r"did not respond within 0.5 seconds .*This interaction failed"):
        await env.fan.run("/silent")
    silent = list(fd.interactions.by_id.values())[-1]
    base = fd.api_base
    async with aiohttp.ClientSession() as session:
        url = f"{base}/interactions/{silent.id}/{silent.token}/callback?with_response=1"
        async with session.post(url, json={"type": 4, "data": {"content": "late"}}) as resp:
            assert resp.status == 404
            assert (await resp.json())["code"] == 10062
        url = f"{base}/interactions/{ok.interaction_id}/{ok.record.token}/callback?with_response=1"
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400
            assert await resp.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}
        # the token works for 15 minutes, then 401 50027
        original = f"{base}/webhooks/{fd.application_id}/{ok.record.token}/messages/@original"
        async with session.patch(original, json={"content": "edited"}) as resp:
            assert resp.status == 200
        assert ok.content == "edited"
        fd.clock.advance(15 * 60 + 1)
        async with session.patch(original, json={"content": "too late"}) as resp:
            assert resp.status == 401
            assert (await resp.json())["code"] == 50027


async def test_pick_selects_an_autocomplete_suggestion(env: Env) -> None:
    typed = await env.fan.run("/soundtrack track", track="rivl")
    assert typed.content == "Track: rivl", "pressing Enter sends the typed text"
    picked = await env.fan.run("/soundtrack track", track=pick("rivl", 1))
    assert picked.content == "Track: rival hearts"
    assert picked.autocomplete["track"][1]["value"] == "rival hearts"
    with pytest.raises(AssertionError, match="cannot pick"):
        await env.fan.run("/soundtrack track", track=pick("zzz"))


async def test_first_followup_after_a_defer_resolves_the_placeholder(env: Env) -> None:
    @env.bot.tree.command(name="think", description="Defers ephemerally, answers with followups")
    async def think(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        first = await interaction.followup.send("first", ephemeral=False, wait=True)
        second = await interaction.followup.send("second", ephemeral=False, wait=True)
        assert first.id != second.id

    await env.bot.tree.sync()
    reply = await env.fan.run("/think")
    assert reply.deferred and not reply.loading
    assert reply.message is not None and reply.message.content == "first"
    assert reply.ephemeral, "the defer decided the visibility of the first followup"
    assert [m.content for m in reply.followups] == ["first", "second"]
    assert not reply.followups[1].ephemeral
    assert [m.content for m in env.fd.channel_messages(env.guild.system_channel)] == ["second"]


async def test_mentions_of_an_interaction_reply(env: Env) -> None:
    role = env.guild.add_role("Listeners", mentionable=True)

    @env.bot.tree.command(name="ping", description="Pings a role")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"@everyone <@&{role.id}> new track!")

    await env.bot.tree.sync()
    reply = await env.fan.run("/ping")
    assert reply.mentions.roles == [role.id]
    assert not reply.mentions.everyone
    assert reply.mentions.users == []


async def test_callback_5xx_is_retried_within_the_deadline(env: Env) -> None:
    env.fd.faults.add("POST", "/interactions/{interaction_id}/{interaction_token}/callback", kind="5xx", status=502)
    reply = await env.fan.run("/panel")
    assert reply.content == "page 1"
    assert reply.elapsed is not None and 0.9 < reply.elapsed < 3
    statuses = [
        r.status for r in env.fd.requests_to("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    ]
    assert statuses == [502, 200]


async def test_delay_fault(env: Env) -> None:
    env.fd.faults.add("POST", "/interactions/", kind="delay", seconds=0.3)
    reply = await env.fan.run("/panel")
    assert reply.elapsed is not None and reply.elapsed >= 0.3


async def test_default_member_permissions_hide_a_command(env: Env) -> None:
    @env.bot.tree.command(name="admin", description="Managers only")
    @discord.app_commands.default_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("configured", ephemeral=True)

    await env.bot.tree.sync()
    with pytest.raises(CommandNotAvailable, match="cannot use /admin"):
        await env.fan.run("/admin")
    manager = env.guild.add_member("Ilya", manage_guild=True)
    assert (await manager.run("/admin")).content == "configured"


async def test_members_cannot_run_commands_where_they_cannot_see(env: Env) -> None:
    hidden = env.guild.add_text_channel("staff")
    hidden.set_member_permissions(env.fan, 0)
    with pytest.raises(CommandNotAvailable, match="cannot use application commands in #staff"):
        await env.fan.run("/panel", channel=hidden)


async def test_member_message_reaches_the_bot_without_content_intent(env: Env) -> None:
    import asyncio

    waiter = asyncio.ensure_future(env.bot.wait_for("message", timeout=5))
    sent = await env.fan.send("hello bot", channel=env.chan)
    received = await waiter
    assert str(received.id) == sent.id and str(received.author.id) == env.fan.id
    assert received.content == "", "without the MESSAGE_CONTENT intent Discord blanks other users' content"


# Discord's follow-up rule (Create Followup Message; discord-api-docs #2860, #2739, #3087), under both readings.

BOTH_READINGS = pytest.mark.parametrize(
    "reading", [pytest.param(r, marks=pytest.mark.followup_rule(r), id=r) for r in ("while-loading", "first")]
)


@BOTH_READINGS
async def test_the_follow_up_after_a_public_defer_is_public_whatever_its_flags(env: Env, reading: str) -> None:
    reply = await env.fan.run("/steps", script="defer followup-private")
    assert STEPS == ["defer: ok", "followup-private: ok"]
    assert [(m.content, m.ephemeral) for m in reply.messages] == [("followup-private", False)]
    assert [m.content for m in env.fd.channel_messages(env.guild.system_channel)] == ["followup-private"]


@BOTH_READINGS
async def test_once_the_loading_message_is_deleted_its_follow_up_is_unknown(env: Env, reading: str) -> None:
    reply = await env.fan.run("/steps", script="defer delete followup-private")
    assert STEPS == ["defer: ok", "delete: ok", "followup-private: 10008"]
    assert reply.messages == [] and not any(not m.deleted for m in env.fd.channel_messages(env.guild.system_channel))


@BOTH_READINGS
async def test_a_later_follow_up_keeps_its_own_flags(env: Env, reading: str) -> None:
    reply = await env.fan.run("/steps", script="defer followup-public followup-private")
    assert STEPS == ["defer: ok", "followup-public: ok", "followup-private: ok"]
    assert [(m.content, m.ephemeral) for m in reply.messages] == [
        ("followup-public", False),
        ("followup-private", True),
    ]


@pytest.mark.followup_rule("while-loading")
async def test_while_loading_an_edited_placeholder_no_longer_takes_the_follow_up(env: Env) -> None:
    reply = await env.fan.run("/steps", script="defer edit followup-private")
    assert [(m.content, m.ephemeral) for m in reply.messages] == [("edited", False), ("followup-private", True)]


@pytest.mark.followup_rule("first")
async def test_first_the_first_follow_up_takes_the_original_even_after_an_edit(env: Env) -> None:
    reply = await env.fan.run("/steps", script="defer edit followup-private")
    assert [(m.content, m.ephemeral) for m in reply.messages] == [("followup-private", False)]
