-- The language each server's moderators chose for what the bot posts there (`/settings language`): reminders,
-- ballots, close summaries, native events' text, notices. A server without a row follows its Discord language
-- (`preferred_locale`, which only Community servers can set). Read once at start (bot/languages.py).
CREATE TABLE server_languages (
    guild_id INTEGER PRIMARY KEY,
    language TEXT NOT NULL,     -- as Discord writes it: 'en', 'fr', 'pt-BR', 'es-ES', 'es-419'
    set_at   INTEGER NOT NULL   -- UTC epoch seconds
) STRICT;
