"""Uploads: files sent by discord.py (channel messages, interaction responses, followups, edits) arrive intact."""

from __future__ import annotations

import io
import struct
import zlib

import discord
import pytest

from .conftest import Env


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG of red pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = tiny_png()


def _file(data: bytes, filename: str, description: str | None = None) -> discord.File:
    return discord.File(io.BytesIO(data), filename=filename, description=description)


async def test_a_png_with_a_description_arrives_intact(env: Env) -> None:
    channel = env.bot.get_partial_messageable(int(env.chan.id), guild_id=int(env.guild.id))
    sent = await channel.send(
        "cover art", files=[_file(b"track,votes\nheated,3\n", "votes.csv"), _file(PNG, "cover.png", "Album cover")]
    )
    stored = env.fd.channel_messages(env.chan)[-1]
    csv, png = stored.files
    assert (png.filename, png.data, png.content_type, png.description) == ("cover.png", PNG, "image/png", "Album cover")
    assert png.dimensions == (3, 2) and png.size == len(PNG)
    assert (csv.filename, csv.text, csv.content_type, csv.description) == (
        "votes.csv",
        "track,votes\nheated,3\n",
        "text/csv; charset=utf-8",
        None,
    )
    attachment = sent.attachments[1]
    assert (attachment.filename, attachment.description, attachment.content_type) == (
        "cover.png",
        "Album cover",
        "image/png",
    )
    assert (attachment.width, attachment.height, attachment.size) == (3, 2, len(PNG))
    assert str(attachment.id) == png.id and stored["attachments"][1]["id"] == png.id

    grown = await sent.add_files(_file(b"hello", "note.txt", "A note"))
    assert [(f.filename, f.description) for f in stored.files] == [
        ("votes.csv", None),
        ("cover.png", "Album cover"),
        ("note.txt", "A note"),
    ]
    await grown.remove_attachments(grown.attachments[0])
    assert [f.filename for f in stored.files] == ["cover.png", "note.txt"]


async def test_files_in_interaction_responses_and_followups(env: Env) -> None:
    @env.bot.tree.command(name="cover", description="Sends the cover")
    async def cover(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("here", file=_file(PNG, "cover.png", "The cover"))
        await interaction.followup.send("lyrics", file=_file("héé".encode(), "lyrics.txt", "Lyrics"), ephemeral=True)

    await env.bot.tree.sync()
    reply = await env.fan.run("/cover")
    assert reply.message is not None and reply.followups
    [png] = reply.message.files
    assert (png.data, png.description, png.content_type) == (PNG, "The cover", "image/png")
    [lyrics] = reply.followups[0].files
    assert (lyrics.text, lyrics.description, lyrics.content_type) == ("héé", "Lyrics", "text/plain; charset=utf-8")
    assert reply.message["attachments"][0]["description"] == "The cover"


async def test_description_over_1024_is_refused(env: Env) -> None:
    channel = env.bot.get_partial_messageable(int(env.chan.id), guild_id=int(env.guild.id))
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(file=_file(PNG, "cover.png", "x" * 1025))
    assert info.value.status == 400 and info.value.code == 50035
    assert [v.path for v in env.fd.violations if v.source == "limits"] == ["attachments.0.description"]
    assert env.fd.channel_messages(env.chan) == []


async def test_files_over_the_size_limit_are_413(env: Env) -> None:
    env.fd.interactions.attachment_size_limit = 1024
    channel = env.bot.get_partial_messageable(int(env.chan.id), guild_id=int(env.guild.id))
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(file=_file(b"x" * 1025, "big.bin"))
    assert (info.value.status, info.value.code) == (413, 40005)
    await channel.send(file=_file(b"x" * 1024, "ok.bin"))
    [ok] = env.fd.channel_messages(env.chan)[-1].files
    assert ok.content_type == "application/octet-stream" and ok.size == 1024
    reply = await env.fan.run("/soundtrack track", track="rivalry")
    assert reply.record.payload["attachment_size_limit"] == 1024
