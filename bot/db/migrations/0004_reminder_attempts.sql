-- When a post was first handed to Discord (UTC epoch seconds; NULL: never tried). A post still pending
-- with an attempt behind it may already be in the channel (Discord accepted it, then the bot crashed
-- before recording it); the dispatcher looks for it there before posting again, which covers restarts
-- after Discord has forgotten the nonce.
ALTER TABLE reminder_posts ADD COLUMN attempted_at INTEGER;
