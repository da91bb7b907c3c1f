-- Key/value facts about this installation, such as the hash of the last command sync.
CREATE TABLE meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL  -- UTC epoch seconds
) STRICT;
