"""Composition root of the profinform bot: settings, database, Telegram wiring, CLI."""
