-- Listening parties (issue 22). A party is a release of its server like the ones /reminders add-release makes, so
-- the server's own releases say what made them and where they happen; the party itself, its posts and the hearts
-- its fans give are the party feature's (cogs/party/store.py). Every instant is a UTC epoch integer.

-- What made a server's own release ('event': /reminders add-release; 'party': /party-admin schedule), the channel
-- where it happens (a voice or stage channel's release gets a voice or stage native event), and its time zone when
-- it was fixed as it was scheduled (NULL: it follows the server's time zone, as every release added by hand does).
ALTER TABLE reminder_releases ADD COLUMN kind TEXT NOT NULL DEFAULT 'event' CHECK (kind IN ('event', 'party'));
ALTER TABLE reminder_releases ADD COLUMN channel_id INTEGER;
ALTER TABLE reminder_releases ADD COLUMN zone TEXT;

-- The last number each server's own releases used. A number is never given twice: a removed release's posts and
-- native event stay recorded under its id ('own:<number>'), and a new release under the same id would inherit them.
CREATE TABLE server_release_numbers (
    guild_id INTEGER PRIMARY KEY,
    last     INTEGER NOT NULL
) STRICT;

-- Written for both engines (PostgreSQL reads this file too: bot/db/sql.py): no GLOB, and the subquery is named.
INSERT INTO server_release_numbers (guild_id, last)
SELECT guild_id, MAX(number) FROM (
    SELECT guild_id, number FROM reminder_releases
    UNION ALL
    SELECT guild_id, CAST(substr(release_id, 5) AS INTEGER) FROM reminder_posts
     WHERE substr(release_id, 1, 4) = 'own:' AND substr(release_id, 5, 1) BETWEEN '0' AND '9'
    UNION ALL
    SELECT guild_id, CAST(substr(release_id, 5) AS INTEGER) FROM reminder_events
     WHERE substr(release_id, 1, 4) = 'own:' AND substr(release_id, 5, 1) BETWEEN '0' AND '9'
) AS numbers GROUP BY guild_id;

-- A native event in a channel (voice or stage) rather than at a location (external).
ALTER TABLE reminder_events ADD COLUMN channel_id INTEGER;

-- One row per party. `step` is the party's next post: 0 the start message (it opens the thread), 1..n the cue of
-- the n-th track in play order, n + 1 the recap. That post is due at `due_at`; while the party waits for its host's
-- Next (`waits_next`), `due_at` is the latest it may wait (the party's length cap): the recap is then due.
-- `tracks` is fixed when the party starts: the catalogue's tracks in play order, each with its duration in seconds
-- (null when unknown), a JSON array of [id, seconds] pairs; before, `play` and `picks` say what will be played.
CREATE TABLE parties (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the nonces of the party's posts derive from it
    guild_id     INTEGER NOT NULL,
    release      INTEGER NOT NULL,  -- its release, 'own:<release>' (removed once the party is over)
    title        TEXT    NOT NULL,
    start_at     INTEGER NOT NULL,  -- the start message; track 1 follows the countdown
    play         TEXT    NOT NULL CHECK (play IN ('album', 'singles', 'tracks')),
    picks        TEXT,              -- 'tracks': the album positions as the moderator listed them (JSON array)
    tracks       TEXT,              -- fixed at the start (see above)
    advance      TEXT    NOT NULL CHECK (advance IN ('timed', 'hosted')),
    channel_id   INTEGER NOT NULL,  -- the text channel of the start message, which the thread opens on
    venue_id     INTEGER,           -- the voice or stage channel where fans listen together, if one was given
    link         TEXT,
    host_id      INTEGER NOT NULL,  -- who may click Next besides moderators (a moderator taking over becomes it)
    state        TEXT    NOT NULL CHECK (state IN ('scheduled', 'running', 'over', 'cancelled', 'missed', 'stopped')),
    thread_id    INTEGER,           -- the party's thread, once opened (cues go to the channel if it cannot be)
    step         INTEGER NOT NULL DEFAULT 0,
    due_at       INTEGER NOT NULL,
    waits_next   INTEGER NOT NULL DEFAULT 0 CHECK (waits_next IN (0, 1)),
    shift        INTEGER NOT NULL DEFAULT 0, -- seconds its timeline moved: a start the bot made late after downtime
    attempted_at INTEGER,           -- the first attempt at the next post: looked for in the channel after a crash
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,              -- the last delivery error, in English
    error_at     INTEGER,
    detail       TEXT,              -- why it was missed, stopped or ended early, in English
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX parties_due ON parties (due_at) WHERE state IN ('scheduled', 'running');
CREATE INDEX parties_of_guild ON parties (guild_id, start_at);

-- Each post a party made (or passed over while the bot was away: `message_id` NULL), with when it was due on the
-- party's timeline and when Discord took it: what /party now and the recap read.
CREATE TABLE party_posts (
    party_id   INTEGER NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    step       INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    posted_at  INTEGER,
    message_id INTEGER,
    late       INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    PRIMARY KEY (party_id, step)
) STRICT, WITHOUT ROWID;

-- "Track of the night": one heart per member per party, on the track of a cue; changing it replaces it.
CREATE TABLE party_hearts (
    party_id INTEGER NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    track_id TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (party_id, user_id)
) STRICT, WITHOUT ROWID;
