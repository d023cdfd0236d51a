"""A tour of every page a signed-in user can reach, used by the page walk and `make screenshots`.

Pages are found by following the app's own links from the dashboard (one page per route and
set of query keys), so a new page is toured as soon as something links to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

SIGNED_OUT_PAGES = ("/login", "/register")
EXTRA_PAGES = ("/api/docs",)  # not linked from the pages: the API's own documentation
SKIPPED_PREFIXES = ("/static/", "/vendor/", "/api/", "/logout", "/language")
SKIPPED_SUFFIXES = (".csv", ".json", ".png", ".svg", ".js", ".css")
MAX_PAGES = 60

VISIBLE_TEXT = """() => {
  const header = (el) => {
    const cell = el.closest('td, th');
    if (cell) {
      const table = cell.closest('table');
      const index = Array.from(cell.parentElement.children).indexOf(cell);
      const head = table && table.querySelector('thead tr');
      const th = head ? head.children[index] : null;
      const row = cell.parentElement.querySelector('th');
      return [th ? th.innerText : '', row && row !== cell ? row.innerText : ''].join(' ');
    }
    const dd = el.closest('dd');
    if (dd && dd.previousElementSibling) return dd.previousElementSibling.innerText;
    const box = el.closest('[data-unit], .stat, li, p, label, figure');
    return box ? (box.dataset.unit || '') + ' ' + box.innerText : '';
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest('script, style, svg, noscript, template, code, pre')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const block = el.closest('p, li, td, th, dd, dt, label, button, a, h1, h2, h3, h4, option, legend, figcaption, summary, span, strong') || el;
    out.push({text, line: block.innerText.replace(/\\s+/g, ' ').trim(), context: header(el)});
  }
  document.querySelectorAll('[placeholder]').forEach((el) => {
    if (el.getClientRects().length) out.push({text: el.placeholder, line: el.placeholder, context: ''});
  });
  return out;
}"""


def route_key(url: str) -> tuple[str, tuple[str, ...]]:
    """One key per route and set of query keys: ``/backtests/7?page=2`` → ``/backtests/#``."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "#", parts.path)
    return path, tuple(sorted({key for key, _ in parse_qsl(parts.query) if key != "notice"}))


def _followable(href: str, base: str) -> str | None:
    if not href.startswith(base):
        return None
    path = href[len(base) :].split("#", 1)[0]
    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES):
        return None
    if urlsplit(path).path.endswith(SKIPPED_SUFFIXES):
        return None
    return path


def compared_runs(page) -> str:
    """The comparison of the user's saved backtests (reached by a form, not a link)."""
    runs = page.request.get("/api/backtests").json()["items"]
    return "/backtests/compare?" + "&".join(f"ids={run['id']}" for run in runs[:8])


def tour(page, base: str, start: str = "/", extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Visit ``start``, ``extra`` and every page linked from the pages visited (one per route
    key); yields each path once the page has loaded, so the caller can inspect it."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    queue = [start, *extra]
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        key = route_key(path)
        if key in seen:
            continue
        seen.add(key)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        visited += 1
        yield path
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            found = _followable(href, base)
            if found and route_key(found) not in seen:
                queue.append(found)


def sign_in(page, email: str, password: str) -> None:
    """Sign the browser in through the login form."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def switch_language(page, language: str) -> None:
    """Choose the interface language with the header's buttons (stored on the profile)."""
    page.click(f"[data-testid=lang-{language}]")
    page.wait_for_load_state("networkidle")
