-- Native Discord Scheduled Events mirroring each server's dated releases (`/reminders events`).

-- One row per server that turned the mirror on or off. `blocked_reason` is set when Discord refused an
-- event call (a permission was taken away): the mirror waits, reminders go on, and `/reminders status`
-- says why. It clears at the next sync that Discord accepts.
CREATE TABLE reminder_event_mirrors (
    guild_id       INTEGER PRIMARY KEY,
    enabled        INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    blocked_reason TEXT,
    blocked_at     INTEGER,
    updated_at     INTEGER NOT NULL
) STRICT;

-- One row per (server, release) the mirror has acted on: what the event shows, as last sent to Discord.
-- `creating`: the create call may be on its way or may have landed before a crash; the event is looked
--   up by name and start before creating again, so a crash never leaves two.
-- `live`: `event_id` is the event's id.
-- `cancelling`: the bot is cancelling it (the release was removed or the mirror turned off); the row
--   goes once Discord confirms, so the bot's own cancellation is never taken for a moderator's.
-- `gone`: a moderator deleted or cancelled the event by hand; it is not recreated behind their back.
CREATE TABLE reminder_events (
    guild_id    INTEGER NOT NULL,
    release_id  TEXT    NOT NULL,
    event_id    INTEGER,
    name        TEXT    NOT NULL,
    start_at    INTEGER NOT NULL,  -- UTC epoch seconds
    end_at      INTEGER NOT NULL,
    location    TEXT    NOT NULL,
    description TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('creating', 'live', 'cancelling', 'gone')),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, release_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX reminder_events_by_event ON reminder_events (event_id) WHERE event_id IS NOT NULL;
