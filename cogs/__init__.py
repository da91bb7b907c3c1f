"""One extension per feature; the Bot loads them from the explicit list in bot.bot.EXTENSIONS."""
