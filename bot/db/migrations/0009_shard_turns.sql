-- Turns that the processes sharing a PostgreSQL database take one after another (bot/leases.py): a shard's IDENTIFY
-- in its max_concurrency bucket ('identify:<bucket>', one per 5 s) and the token's global rate ('global', one
-- request per 1/50 s). A process reserves the next free turn in one statement and waits for it, so no lock is held
-- while it waits. Unused on SQLite, where one process takes its turns in memory.
CREATE TABLE shard_turns (
    name       TEXT PRIMARY KEY,
    next_at_us INTEGER NOT NULL  -- UTC epoch microseconds: the next free turn starts then
) STRICT;
