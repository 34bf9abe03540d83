"""Telegram channel: founders ask, staff take over hand-offs and curate the knowledge base."""
