"""Health check (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tradeloop import __version__

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(request: Request) -> JSONResponse:
    """``status`` ok/degraded, the version, and whether the database answers."""
    reachable = request.app.state.tradeloop.database.reachable()
    body = {
        "status": "ok" if reachable else "degraded",
        "version": __version__,
        "database": reachable,
    }
    return JSONResponse(body, status_code=200 if reachable else 503)
