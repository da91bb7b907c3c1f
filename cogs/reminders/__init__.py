"""Release-day reminders, and /releases: the feature that knows when things come out.

`commands.py` (/reminders) and `releases.py` (/releases) are the Discord face; `service.py` holds the
rules a command triggers, `dispatcher.py` posts what is due, `sender.py` is its view of Discord, and
`posts.py`, `schedule.py`, `timeparse.py` and `templates.py` are discord-free rules. SQL is in `store.py`.
Native Scheduled Events: `mirror.py` (rules), `event_store.py` (SQL), `events.py` (Discord calls).
Opting in to pings: `notify.py`; the buttons are in `components.py`.

A server's own releases are shared (`bot.releases`): the reminders listen to their changes and replan the server,
and its events follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bot import HeatedRivalryBot


async def setup(bot: HeatedRivalryBot) -> None:
    """Build the service once, hand it to both cogs, and make it reachable as `bot.service(Reminders)`."""
    # Imported here, not at the top: importing a discord-free module of this package must not load discord.
    from cogs.reminders.commands import RemindersCog
    from cogs.reminders.components import NotifyButton
    from cogs.reminders.event_store import EventStore
    from cogs.reminders.events import EventMirror
    from cogs.reminders.releases import Releases
    from cogs.reminders.sender import DiscordSender
    from cogs.reminders.service import Reminders
    from cogs.reminders.store import ReminderStore

    service = Reminders(
        ReminderStore(bot.db, bot.shard_range), bot.releases, bot.catalogue, DiscordSender(bot), bot.clock
    )
    mirror = EventMirror(bot, service, EventStore(bot.db, bot.shard_range))
    service.replanned.append(mirror.changed)
    bot.releases.listeners.append(service.own_releases_changed)
    bot.releases.zone_of = service.server_zone
    bot.provide(service)
    bot.add_dynamic_items(NotifyButton)
    await bot.add_cog(RemindersCog(bot, service, mirror))
    await bot.add_cog(Releases(service))
