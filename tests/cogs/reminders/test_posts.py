"""What a post is: the plan, the nonce, the text, the only ping it may make."""

from __future__ import annotations

from dataclasses import replace

from cogs.reminders.posts import PostMode, compose
from cogs.reminders.store import GuildConfig
from cogs.reminders.timeparse import parse_lead_times
from tests.cogs.reminders.fakes import (
    GUILD,
    ROLE,
    T0,
    release_at,
)

# -- the post ---------------------------------------------------------------------------------------------


def test_the_post_pings_only_the_role_and_test_and_preview_differ_only_by_marker() -> None:
    release = release_at(T0 + 600, title="@everyone party")
    config = replace(GuildConfig(GUILD), role_id=ROLE, template="{role} {release} <@1> @here {countdown}")
    lead = parse_lead_times("1h")[0]
    real = compose(release, T0 + 600, T0 - 3000, lead, config, "Fans")
    assert real.ping_role_id == ROLE
    assert real.content.startswith(f"<@&{ROLE}> @\u200beveryone party <\u200b@1> @\u200bhere <t:")
    assert f"Comes out <t:{T0 + 600}:R>" in real.description and "Bring snacks." in real.description
    assert real.url == "https://example.org/party" and real.title == "@\u200beveryone party"
    test = compose(release, T0 + 600, T0 - 3000, lead, config, "Fans", mode=PostMode.TEST)
    preview = compose(release, T0 + 600, T0 - 3000, lead, config, "Fans", mode=PostMode.PREVIEW)
    assert test.ping_role_id is None and preview.ping_role_id is None
    assert test.content == "[Test] " + real.content and preview.content == real.content
    assert (test.title, test.description, test.url) == (real.title, real.description, real.url)
    assert "Test post" in test.footer and "Preview" in preview.footer
    late = compose(release, T0 + 600, T0 + 600, parse_lead_times("0")[0], config, "Fans", late=True)
    assert late.description.startswith("Came out")
