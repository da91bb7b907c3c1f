-- Release-day reminders. Every instant is a UTC epoch integer; zones are IANA names.

-- One row per server that has configured reminders. A server without a row reads as the defaults.
-- `blocked_reason` is set when Discord refused a post (403/404): nothing is posted until a moderator
-- fixes the configuration, which clears it.
CREATE TABLE reminder_guilds (
    guild_id       INTEGER PRIMARY KEY,
    channel_id     INTEGER,
    role_id        INTEGER,
    zone           TEXT    NOT NULL,
    lead_times     TEXT    NOT NULL,  -- canonical spec, e.g. '7d, 1d, 0'
    template       TEXT,              -- NULL: the default template
    enabled        INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    blocked_reason TEXT,
    blocked_at     INTEGER,
    updated_at     INTEGER NOT NULL
) STRICT;

-- A server's own releases and events (`/reminders add-release`). The time is on the server's clock,
-- so it follows the server's time zone like a date-only catalogue release.
CREATE TABLE reminder_releases (
    guild_id    INTEGER NOT NULL,
    number      INTEGER NOT NULL,  -- the release id is 'own:<number>', unique within the server
    title       TEXT    NOT NULL,
    date        TEXT    NOT NULL,  -- YYYY-MM-DD
    time        TEXT,              -- HH:MM, NULL: 00:00
    link        TEXT,
    description TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, number)
) STRICT, WITHOUT ROWID;

-- One row per (server, release, lead time): the post, pending until it is sent, skipped or given up.
-- `announced` is the release's date and time as announced; a post already made is made again only
-- when that changes (the release was moved), never because a time zone or a due time was recomputed.
-- `wake_at` is when the dispatcher next acts on a pending post: its due time, or a retry's.
CREATE TABLE reminder_posts (
    guild_id    INTEGER NOT NULL,
    release_id  TEXT    NOT NULL,
    lead        TEXT    NOT NULL,  -- LeadTime.key: '7d', '1h30m', '0'
    announced   TEXT    NOT NULL,
    release_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    wake_at     INTEGER NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'skipped', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    late        INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    message_id  INTEGER,
    detail      TEXT,              -- why it was skipped or failed
    error       TEXT,              -- the last delivery error, kept after a later success
    error_at    INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, release_id, lead)
) STRICT, WITHOUT ROWID;

-- The dispatcher's one question, "what is the earliest pending post?", is an index seek.
CREATE INDEX reminder_posts_wake ON reminder_posts (wake_at) WHERE state = 'pending';
CREATE INDEX reminder_posts_errors ON reminder_posts (guild_id, error_at) WHERE error_at IS NOT NULL;
