"""The Heated Rivalry fan-server bot: settings, the Bot subclass, database, catalogue and shared helpers."""
