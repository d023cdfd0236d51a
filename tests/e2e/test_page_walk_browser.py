"""Acceptance of the web app as a whole: every page a user can reach, in both languages, says
its units and time zones, shows no English in Indonesian, logs no console error and passes an
accessibility check (axe-core in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.tour import (
    EXTRA_PAGES,
    SIGNED_OUT_PAGES,
    VISIBLE_TEXT,
    compared_runs,
    sign_in,
    switch_language,
    tour,
)
from tradeloop.i18n import catalogue

pytestmark = pytest.mark.browser

ZONE = "UTC+07:00"  # the demo profile's zone, Asia/Jakarta
MONEY = re.compile(r"(?<![\w.:/-])[-+−]?\d{1,3}(?:[ ,]\d{3})*\.\d{2}(?![\d.%])")
UNIT_AFTER = re.compile(r"^\s*(?:[A-Z]{3}\b|points\b|poin\b|%|pips?\b|lots?\b|R\b|×|x\b)")
# a bare 2-decimal number is fine where its label says what it is (a price, a ratio, a unit)
LABELLED = re.compile(
    r"\b(?:[A-Z]{3}|points?|poin|%|price|harga|open|high|low|close|buka|tertinggi|terendah|"
    r"tutup|ratio|rasio|factor|faktor|sharpe|sortino|calmar|sqn|lots?|R|σ|sigma|score|skor)\b",
    re.IGNORECASE,
)
TIME = re.compile(r"(?<![\d:+-])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")
ZONE_AFTER = re.compile(r"^\s*(UTC(?:[+-]\d{2}:\d{2})?)")


def _english_only() -> tuple[set[str], list[re.Pattern[str]]]:
    english, indonesian = catalogue("en"), catalogue("id")
    exact, patterns = set(), []
    for key, text in english.items():
        if text == indonesian[key]:
            continue
        if "{" not in text:
            exact.add(text)
            continue
        literal = re.sub(r"\{[^}]*\}", "", text)
        if len(re.findall(r"[A-Za-z]", literal)) >= 6:
            parts = re.split(r"\{[^}]*\}", text)
            patterns.append(re.compile(".+?".join(re.escape(p) for p in parts)))
    return exact, patterns


def _unit_problems(path: str, texts: list[dict]) -> list[str]:
    problems = []
    for item in texts:
        text, context = item["text"], item["context"]
        for found in MONEY.finditer(text):
            after = text[found.end() :]
            if not UNIT_AFTER.match(after) and not LABELLED.search(f"{item['line']} {context}"):
                problems.append(f"{path}: money without unit: {item['line']!r}")
        for found in TIME.finditer(text):
            zone = ZONE_AFTER.match(text[found.end() :])
            if zone is None and "UTC" not in context:
                problems.append(f"{path}: time without zone: {item['line']!r}")
            elif zone is not None and zone.group(1) != ZONE:
                problems.append(f"{path}: time not in the profile's zone: {item['line']!r}")
    return problems


@pytest.fixture
def watched(page) -> Iterator[tuple[object, list[str]]]:
    """The page with every console error, uncaught exception and failed request recorded."""
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: errors.append(f"exception: {exc}"))
    page.on(
        "response",
        lambda response: (
            errors.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            None
            if "/api/notifications/stream" in request.url and request.failure == "net::ERR_ABORTED"
            else errors.append(f"failed: {request.url}")
        ),
    )  # the live-update stream is aborted by the browser when the page is left
    yield page, errors


def _demo_credentials(printed: str) -> tuple[str, str]:
    email = re.search(r"email:\s+(\S+)", printed).group(1)
    return email, re.search(r"password:\s+(\S+)", printed).group(1)


def _walk(page, server: str, errors: list[str], language: str) -> tuple[list[str], list[str]]:
    exact, patterns = _english_only()
    visited, problems = [], []
    for path in tour(page, server, extra=(compared_runs(page),)):
        visited.append(path)
        problems += [f"{path}: {error}" for error in errors]
        errors.clear()
        texts = page.evaluate(VISIBLE_TEXT)
        problems += _unit_problems(path, texts)
        if language == "id":
            for item in texts:
                for candidate in {item["text"], item["line"]}:
                    if candidate in exact or any(p.fullmatch(candidate) for p in patterns):
                        problems.append(f"{path}: English text in Indonesian: {candidate!r}")
    return visited, problems


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_page_is_in_the_language_with_units_zones_and_no_console_error(
    watched, server: str, demo_output, language: str
) -> None:
    page, errors = watched
    sign_in(page, *_demo_credentials(demo_output[2]))
    switch_language(page, language)
    try:
        visited, problems = _walk(page, server, errors, language)
    finally:
        switch_language(page, "id")
    assert not problems, f"{len(set(problems))} problems:\n" + "\n".join(sorted(set(problems)))
    expected = {
        "/",
        "/bots",
        "/accounts",
        "/backtests",
        "/market",
        "/journal",
        "/mentor",
        "/notifications",
        "/profile",
        "/security",
    }
    assert expected <= set(visited), visited
    assert any(re.fullmatch(r"/backtests/\d+", p) for p in visited), visited
    assert any(re.fullmatch(r"/market/\d+", p) for p in visited), visited
    assert any(p.startswith("/backtests/compare?ids=") for p in visited), visited


def test_signed_out_pages_and_the_api_docs_render_without_console_error(watched) -> None:
    page, errors = watched
    for path in SIGNED_OUT_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.locator("input[name=password]").count() == 1
    for path in EXTRA_PAGES:
        page.goto(path)
        page.wait_for_selector(".opblock", timeout=15000)
        assert page.locator(".opblock").count() > 20
    assert errors == []


def _serious(axe, page, path: str) -> list[str]:
    violations = axe.run(page).response["violations"]
    return [
        f"{path}: {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_no_page_has_a_serious_or_critical_accessibility_violation(
    browser, server: str, demo_output
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), []
    signed_out = browser.new_context(base_url=server)
    page = signed_out.new_page()
    for path in SIGNED_OUT_PAGES:
        page.goto(path)
        found += _serious(axe, page, path)
    signed_out.close()
    context = browser.new_context(base_url=server)
    page = context.new_page()
    sign_in(page, *_demo_credentials(demo_output[2]))
    for path in tour(page, server, extra=(compared_runs(page),)):
        found += _serious(axe, page, path)
    context.close()
    assert not found, f"{len(set(found))} violations:\n" + "\n".join(sorted(set(found)))
