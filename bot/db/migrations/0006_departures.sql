-- Servers the bot has left (kicked, banned, or removed while it was down), and since when. While a server is
-- here nothing is posted, synced or told there; its data is kept `RETENTION` (bot/presence.py) in case the
-- bot is added back, then deleted by every feature. A server the bot is in again leaves this table.
CREATE TABLE guild_departures (
    guild_id INTEGER PRIMARY KEY,
    left_at  INTEGER NOT NULL  -- UTC epoch seconds
) STRICT;
