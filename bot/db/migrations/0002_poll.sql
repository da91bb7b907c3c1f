-- The favourite-track poll. Everything is keyed by guild, so servers never see each other's votes.

-- One row per server that has used the poll: the round being voted on, whether voting is open,
-- and whether members see standings before the poll closes.
CREATE TABLE poll_guilds (
    guild_id   INTEGER PRIMARY KEY,
    round_id   INTEGER NOT NULL CHECK (round_id >= 1),
    is_open    INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    results    TEXT    NOT NULL CHECK (results IN ('live', 'hidden')),
    updated_at INTEGER NOT NULL  -- UTC epoch seconds
) STRICT;

-- Every round, current and past. The mode belongs to the round: a round's ballots are all of one kind.
-- `voters` is filled when the round ends, because its ballots are then reduced to tallies.
CREATE TABLE poll_rounds (
    guild_id   INTEGER NOT NULL REFERENCES poll_guilds (guild_id),
    round_id   INTEGER NOT NULL,
    mode       TEXT    NOT NULL CHECK (mode IN ('single', 'top3')),
    started_at INTEGER NOT NULL,  -- UTC epoch seconds
    ended_at   INTEGER,           -- UTC epoch seconds; NULL while the round is current
    voters     INTEGER,
    PRIMARY KEY (guild_id, round_id)
) STRICT;

-- The last title seen for each catalogue track id, so a track later removed from the catalogue
-- still shows a name next to its votes.
CREATE TABLE poll_tracks (
    track_id TEXT PRIMARY KEY,
    title    TEXT NOT NULL
) STRICT;

-- A member's current ballot in the current round: one row per member, replaced on each vote (upsert),
-- so double clicks, retries and concurrent submissions can never count twice.
CREATE TABLE poll_ballots (
    guild_id    INTEGER NOT NULL,
    round_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    first_pick  TEXT    NOT NULL REFERENCES poll_tracks (track_id),
    second_pick TEXT    REFERENCES poll_tracks (track_id),
    third_pick  TEXT    REFERENCES poll_tracks (track_id),
    updated_at  INTEGER NOT NULL,  -- UTC epoch seconds
    PRIMARY KEY (guild_id, round_id, user_id),
    FOREIGN KEY (guild_id, round_id) REFERENCES poll_rounds (guild_id, round_id),
    CHECK (second_pick IS NULL OR second_pick <> first_pick),
    CHECK (third_pick IS NULL OR (second_pick IS NOT NULL AND third_pick <> first_pick AND third_pick <> second_pick))
) STRICT, WITHOUT ROWID;

-- Standings are GROUP BY over these covering indexes: one index-only scan per rank, never a table scan.
CREATE INDEX poll_ballots_first ON poll_ballots (guild_id, round_id, first_pick);
CREATE INDEX poll_ballots_second ON poll_ballots (guild_id, round_id, second_pick) WHERE second_pick IS NOT NULL;
CREATE INDEX poll_ballots_third ON poll_ballots (guild_id, round_id, third_pick) WHERE third_pick IS NOT NULL;

-- A finished round's standings: how many ballots named each track at each rank. No member ids are kept
-- once a round ends, and the history survives the catalogue changing.
CREATE TABLE poll_tallies (
    guild_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    track_id TEXT    NOT NULL REFERENCES poll_tracks (track_id),
    rank     INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 3),
    ballots  INTEGER NOT NULL CHECK (ballots > 0),
    PRIMARY KEY (guild_id, round_id, track_id, rank),
    FOREIGN KEY (guild_id, round_id) REFERENCES poll_rounds (guild_id, round_id)
) STRICT, WITHOUT ROWID;
