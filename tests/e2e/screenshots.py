"""`make screenshots`: every page of a fresh demo server, at desktop and phone width, in both
languages, written as JPEG files with an index.md a reviewer can read without running anything.

    python -m tests.e2e.screenshots docs/screenshots
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CLI, server_process
from tests.e2e.tour import (
    EXTRA_PAGES,
    SIGNED_OUT_PAGES,
    compared_runs,
    route_key,
    sign_in,
    switch_language,
    tour,
)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("id", "en")


def _name(path: str) -> str:
    route, keys = route_key(path)
    slug = re.sub(r"[^a-z0-9]+", "-", route.replace("#", "item")).strip("-") or "dashboard"
    return "-".join([slug, *keys])


def _demo_server_env(data: Path) -> tuple[dict[str, str], str, str]:
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data)}
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    printed = subprocess.run(
        [*CLI, "demo", "load"], env=env, check=True, capture_output=True, text=True
    ).stdout
    email = re.search(r"email:\s+(\S+)", printed).group(1)
    password = re.search(r"password:\s+(\S+)", printed).group(1)
    return env, email, password


def _shoot(page, folder: Path, name: str) -> str:
    file = folder / f"{name}.jpg"
    page.screenshot(path=str(file), full_page=True, type="jpeg", quality=50)
    return file.name


def take(out: Path) -> list[tuple[str, str, str, str]]:
    """Write every screenshot under ``out``; returns (language, size, page, file) rows."""
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env, email, password = _demo_server_env(data)
        with server_process(data, env) as (base, _), sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            for size, viewport in SIZES.items():
                folder = out / size
                folder.mkdir(parents=True, exist_ok=True)
                for language in LANGUAGES:
                    context = browser.new_context(
                        base_url=base, viewport=viewport, is_mobile=size == "phone"
                    )
                    context.add_cookies([{"name": "tl_lang", "value": language, "url": base}])
                    page = context.new_page()
                    for path in SIGNED_OUT_PAGES:
                        page.goto(path)
                        name = f"{language}-{_name(path)}"
                        rows.append((language, size, path, f"{size}/{_shoot(page, folder, name)}"))
                    sign_in(page, email, password)
                    switch_language(page, language)
                    pages = [
                        path
                        for path in tour(page, base, extra=(compared_runs(page),))
                        if route_key(path)[1] in ((), ("ids",))  # not per sort, filter, page
                    ]
                    for path in [*pages, *EXTRA_PAGES]:
                        page.goto(path)
                        page.wait_for_load_state("networkidle")
                        if path in EXTRA_PAGES:
                            page.wait_for_selector(".opblock", timeout=15000)
                        name = f"{language}-{_name(path)}"
                        rows.append((language, size, path, f"{size}/{_shoot(page, folder, name)}"))
                    context.close()
            browser.close()
    return rows


def write_index(out: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """index.md: one section per width and language, each page's address and its picture."""
    lines = [
        "# Screenshots",
        "",
        "Written by `make screenshots` from a fresh `make run` demo (synthetic data made by the",
        "real import, backtest and mentor). Desktop is 1280 px wide, phone 390 px.",
        "",
    ]
    for size in SIZES:
        for language in LANGUAGES:
            lines += [f"## {size}, {language}", ""]
            lines += [
                f"- `{path}`: ![{path}]({file})"
                for lang, kind, path, file in rows
                if kind == size and lang == language
            ]
            lines.append("")
    (out / "index.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for old in out.glob("*/*.jpg"):
        old.unlink()
    rows = take(out)
    write_index(out, rows)
    print(f"{len(rows)} screenshots in {out}/ (see {out}/index.md)")


if __name__ == "__main__":
    main()
