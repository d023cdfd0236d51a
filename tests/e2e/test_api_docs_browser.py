"""The API documentation renders in the browser: Swagger UI reads FastAPI's OpenAPI 3.1 and
lists every operation, offline."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_api_docs_render_every_operation(page, server: str) -> None:
    spec = httpx.get(f"{server}/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    operations = sum(len(methods) for methods in spec["paths"].values())
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)  # fmt: skip
    page.goto("/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == operations
    assert "Unable to render this definition" not in page.content()
    assert page.locator(".opblock-summary-path", has_text="/api/jobs/{job_id}/events").count() == 1
    assert all(url.startswith(server) for url in requests), "the docs fetched from elsewhere"
    assert errors == []
