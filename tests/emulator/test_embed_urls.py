"""Embed URLs must be well formed http(s) URLs with a real-looking host, as Discord answers 400 50035 otherwise."""

from __future__ import annotations

import io

import discord
import pytest

from fakediscord.limits import MEDIA_SCHEMES, WEB_SCHEMES, check_message, url_problem

from .conftest import Env

MALFORMED = ("URL_TYPE_INVALID_URL", "Not a well formed URL.")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://example.com/a/b.png?size=64#x",
        "http://cdn.discordapp.com/attachments/1/2/cover.png",
        "https://sub.domain.example.org:8443/path",
        "https://bücher.example/x",
    ],
)
def test_accepted(url: str) -> None:
    assert url_problem(url, WEB_SCHEMES) is None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "example.com/no-scheme",
        "https://exa mple.com/x",
        "https://example.com/with space",
        " https://example.com",
        "https://",
        "https:///path-only",
        "https://localhost/x",
        "http://localhost:8080/x",
        "https://app.localhost/x",
        "https://intranet/x",
        "https://example..com/x",
        "https://example.com:99999/x",
    ],
)
def test_malformed(url: str) -> None:
    assert url_problem(url, WEB_SCHEMES) == MALFORMED


def test_schemes() -> None:
    assert url_problem("ftp://example.com/a.png", WEB_SCHEMES) == (
        "URL_TYPE_INVALID_SCHEME",
        "Scheme \"ftp\" is not supported. Scheme must be one of ('http', 'https').",
    )
    assert url_problem("attachment://cover.png", MEDIA_SCHEMES) is None
    assert url_problem("attachment://", MEDIA_SCHEMES) == MALFORMED
    problem = url_problem("attachment://cover.png", WEB_SCHEMES)
    assert problem is not None and problem[0] == "URL_TYPE_INVALID_SCHEME"


def test_every_embed_url_field_is_checked() -> None:
    bad = "https://localhost/x"
    embed = {
        "url": bad,
        "author": {"name": "a", "url": bad, "icon_url": bad},
        "footer": {"text": "f", "icon_url": bad},
        "image": {"url": bad},
        "thumbnail": {"url": bad},
    }
    paths = [v.path for v in check_message({"embeds": [embed]})]
    assert paths == [
        "embeds.0.url",
        "embeds.0.author.url",
        "embeds.0.author.icon_url",
        "embeds.0.footer.icon_url",
        "embeds.0.image.url",
        "embeds.0.thumbnail.url",
    ]
    assert check_message({"embeds": [embed]}, prefix="data")[0].path == "data.embeds.0.url"
    assert check_message({"embeds": [{"image": {"url": "attachment://a.png"}, "url": "https://example.com"}]}) == []


def _channel(env: Env) -> discord.PartialMessageable:
    return env.bot.get_partial_messageable(int(env.chan.id), guild_id=int(env.guild.id))


async def test_channel_message_with_a_bad_url_is_rejected(env: Env) -> None:
    embed = discord.Embed(title="Cover", url="https://example.com/page").set_thumbnail(url="ftp://example.com/a.png")
    with pytest.raises(discord.HTTPException) as info:
        await _channel(env).send(embed=embed)
    assert info.value.status == 400 and info.value.code == 50035
    assert "embeds.0.thumbnail.url" in str(info.value)
    (violation,) = env.fd.violations
    assert (violation.path, violation.code, violation.source) == (
        "embeds.0.thumbnail.url",
        "URL_TYPE_INVALID_SCHEME",
        "limits",
    )
    assert violation.route == "/channels/{channel_id}/messages"
    assert env.fd.channel_messages(env.chan) == []


async def test_good_urls_and_attachment_images_pass(env: Env) -> None:
    embed = (
        discord.Embed(title="Cover", url="https://example.com/page")
        .set_author(name="Band", url="https://example.com/band", icon_url="https://cdn.example.com/b.png")
        .set_footer(text="footer", icon_url="https://cdn.example.com/f.png")
        .set_image(url="attachment://cover.png")
    )
    await _channel(env).send(embed=embed, file=discord.File(io.BytesIO(b"\x89PNG"), "cover.png"))
    assert env.fd.violations == []
    (stored,) = env.fd.channel_messages(env.chan)
    assert stored.embeds[0]["author"]["url"] == "https://example.com/band"


@pytest.mark.short_deadline
async def test_bad_urls_in_interaction_responses_and_webhook_edits(env: Env) -> None:
    @env.bot.tree.command(name="cover", description="Responds with an embed whose URL is wrong")
    async def cover(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Cover", url="cover page")
        await interaction.response.send_message(embed=embed)

    @env.bot.tree.command(name="lateicon", description="Defers, then edits in a bad author icon")
    async def lateicon(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        embed = discord.Embed(title="Band").set_author(name="Band", icon_url="http://localhost/icon.png")
        try:
            await interaction.edit_original_response(embed=embed)
        except discord.HTTPException:
            await interaction.followup.send("icon refused", embed=discord.Embed().set_image(url="https://intranet/x"))

    await env.bot.tree.sync()
    with pytest.raises(AssertionError, match=r"Discord rejected.*data\.embeds\.0\.url: Not a well formed URL"):
        await env.fan.run("/cover")
    reply = await env.fan.run("/lateicon")
    assert reply.loading, "the edit and the followup were both refused"
    assert [(v.path, v.route) for v in env.fd.violations] == [
        ("data.embeds.0.url", "/interactions/{interaction_id}/{interaction_token}/callback"),
        ("embeds.0.author.icon_url", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
        ("embeds.0.image.url", "/webhooks/{webhook_id}/{webhook_token}"),
    ]
