"""The pages: the demo FAQ page with the widget, the admin page, and the widget script."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from bot.web.security import PAGE_CSP
from bot.web.widget import widget_script

STATIC_DIR = Path(str(resources.files("bot.web") / "static"))


def pages_router() -> APIRouter:
    """HTML pages and the widget (``/static`` is mounted by ``create_app``)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def demo_page() -> FileResponse:
        """A programme FAQ page with the widget embedded."""
        return _page("index.html")

    @router.get("/admin")
    async def admin_page() -> FileResponse:
        """A small admin page over /api/admin."""
        return _page("admin.html")

    @router.get("/widget.js")
    async def widget() -> Response:
        """The embeddable widget script, with its UI texts from bot/languages."""
        return Response(
            widget_script(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    return router


def _page(name: str) -> FileResponse:
    return FileResponse(
        STATIC_DIR / name,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
    )
