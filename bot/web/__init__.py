"""HTTP channel: the FAQ widget, its JSON API, admin endpoints and channels' webhooks."""

from __future__ import annotations

from bot.web.app import create_app

__all__ = ["create_app"]
