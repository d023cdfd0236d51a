"""In Chromium: delete an import from the Journal page, see the notice with its Undo button,
click Undo and find the import and its figures back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import register_in_browser
from tradeloop.i18n import translate
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.services.exports import load_journal

pytestmark = pytest.mark.browser


def test_delete_an_import_and_undo_it(page, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("dialog", lambda dialog: dialog.accept())  # the delete form asks first
    page.set_default_timeout(120_000)  # a machine busy with other work
    export = tmp_path / "orders.csv"
    export.write_bytes(synthetic_export(60, seed=11))
    expected = load_journal(export.read_bytes()).analysis.summary
    register_in_browser(page, "Undo")
    page.goto("/journal")
    page.set_input_files("[data-testid=journal-file]", str(export))
    page.click("[data-testid=import]")
    page.wait_for_selector("[data-testid=summary]")
    assert page.locator("[data-testid=total-trades]").inner_text() == str(expected["total_trades"])
    assert page.locator("[data-testid=import-row]").count() == 1

    page.locator("[data-testid=import-row] button.danger").click()
    page.wait_for_url("**/journal?notice=journal.deleted&undo=import-*")
    notice = page.locator("[data-testid=notice]")
    assert notice.locator("span").inner_text() == translate("id", "journal.deleted")
    assert page.locator("[data-testid=import-row]").count() == 0
    assert page.locator("[data-testid=journal-empty]").inner_text() == translate(
        "id", "journal.empty"
    )

    undo = notice.locator("[data-testid=undo]")
    assert undo.inner_text() == translate("id", "common.undo")
    undo.click()
    page.wait_for_url("**/journal?notice=journal.restored")
    assert page.locator(".notice[role=status]").inner_text() == translate("id", "journal.restored")
    assert page.locator("[data-testid=undo]").count() == 0
    assert page.locator("[data-testid=import-row]").count() == 1
    page.wait_for_selector("[data-testid=summary]")
    assert page.locator("[data-testid=total-trades]").inner_text() == str(expected["total_trades"])
    assert problems == []
