"""Prometheus metrics at ``/metrics`` for the operator: 404 unless TRADELOOP_METRICS_TOKEN is
set, then only with ``Authorization: Bearer <token>``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException

from tradeloop.core.errors import Unauthorized
from tradeloop.serving import observability

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The app's metrics in Prometheus' text format (the database's counts read now)."""
    token = request.app.state.tradeloop.settings.metrics_token
    if token is None or not token.get_secret_value():
        raise HTTPException(404)  # as any unknown path
    if not observability.bearer_matches(
        request.headers.get("authorization"), token.get_secret_value()
    ):
        raise Unauthorized("malformed or invalid token", key="error.token_invalid")
    body = observability.metrics_of(request.app).exposition()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
