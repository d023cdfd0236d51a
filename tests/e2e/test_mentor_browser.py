"""In Chromium: write quick feedback, generate today's report, switch its language, ask the
offline mentor two questions in a stored thread, delete the thread."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import register_in_browser
from tradeloop.i18n import translate
from tradeloop.journal.synthetic import synthetic_export

pytestmark = pytest.mark.browser


def test_feedback_report_language_and_chat(page, tmp_path) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    register_in_browser(page, "Fajar")
    export = tmp_path / "orders.csv"
    today = datetime.now(UTC).strftime("%m/%d/%Y")
    rows = synthetic_export(30, seed=4).decode().splitlines()
    rows += [
        f"91000001,{today} 09:00:00,{today} 09:00:00,Buy,MNQH4,1,17000,Market,17000,,Filled",
        f"91000002,{today} 09:00:00,{today} 09:10:00,Sell,MNQH4,1,16990,Limit,16990,,Filled",
    ]
    export.write_text("\n".join(rows) + "\n")
    page.goto("/journal")
    page.set_input_files("[data-testid=journal-file]", str(export))
    page.click("[data-testid=import]")
    page.wait_for_selector("[data-testid=summary]")

    page.goto("/mentor")
    page.select_option("[data-testid=emotion]", "frustrated")
    page.fill("[data-testid=note]", "Saya kesal setelah rugi")
    page.click("[data-testid=send-feedback]")
    answer = page.locator("[data-testid=feedback-answer]")
    expect(answer).to_be_visible()
    assert answer.locator("li").count() >= 1

    page.click("[data-testid=generate]")
    page.wait_for_url(re.compile(r"/mentor\?day=.*&lang=id"))
    title = page.locator("[data-testid=pattern-title]").inner_text()
    assert title == translate(
        "id", "mentor.pattern.naked_trades.title"
    )  # today's trade had no stop
    assert page.locator("[data-testid=score]").inner_text().endswith("/10")

    page.click("[data-testid=report-lang-en]")
    page.wait_for_url(re.compile(r"lang=en"))
    # the page speaks the interface language (id); only the report switches to English
    assert translate("id", "mentor.no_report") in page.locator("[data-testid=report]").inner_text()
    page.click("[data-testid=generate]")
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.locator("[data-testid=pattern-title]")).to_have_text(
        translate("en", "mentor.pattern.naked_trades.title")
    )

    for question in ("what is my win rate?", "how many revenge trades?"):
        page.fill("[data-testid=question]", question)
        page.click("[data-testid=ask]")
    replies = page.locator("[data-testid=chat-log] p.mentor")
    expect(replies).to_have_count(2)
    expect(replies.nth(0)).to_have_text(re.compile(r"^You win"))
    expect(replies.nth(1)).to_contain_text("revenge trades")  # once its answer has streamed in
    assert page.locator("[data-testid=history] tbody tr").count() == 1
    assert "Saya kesal setelah rugi" in page.locator("[data-testid=day-note]").inner_text()

    # the conversation is stored: it is still there after a reload
    page.reload()
    log = page.locator("[data-testid=chat-log] p")
    expect(log).to_have_count(4)
    assert log.nth(0).inner_text() == "what is my win rate?"
    assert page.locator("[data-testid=thread-select] option").count() == 1
    # one message can go on its own: the first answer is deleted, the rest stay
    log.nth(1).locator("[data-testid=delete-message]").click()
    expect(log).to_have_count(3)
    thread_id = page.locator("[data-testid=thread-select]").input_value()
    kept = page.request.get(f"/api/mentor/threads/{thread_id}").json()["messages"]
    assert [m["content"][:12] for m in kept] == [
        "what is my w",
        "how many rev",
        log.nth(2).inner_text()[:12],
    ]
    page.click("[data-testid=delete-thread]")
    expect(page.locator("[data-testid=thread-select] option")).to_have_count(0)
    expect(log).to_have_count(0)
    assert page.request.get("/api/mentor/threads").json()["total"] == 0
    page.reload()
    expect(page.locator("[data-testid=chat-log] p")).to_have_count(0)

    page.goto("/")
    card = page.locator("[data-testid=mentor-card]")
    assert translate("id", "emotion.frustrated") in card.inner_text()
    assert (
        page.locator("[data-testid=mentor-card-pnl]").inner_text() == "-20.00 USD"
    )  # -10 MNQ points
    assert problems == []


def test_with_consent_the_llm_answer_streams_into_the_page(browser, fake_llm) -> None:
    base, fake = fake_llm
    context = browser.new_context(base_url=base)
    page = context.new_page()
    try:
        register_in_browser(page, "Gita")
        page.goto("/mentor")
        assert "offline" in page.locator("[data-testid=chat-provider]").inner_text()
        page.goto("/profile")
        expect(page.locator("[data-testid=mentor-privacy]")).to_contain_text(fake.base_url)
        page.check("[data-testid=llm-consent]")
        page.click("[data-testid=save-llm]")
        page.wait_for_url(re.compile(r"/profile\?notice=profile.llm_saved"))
        answer = "Anda belum punya transaksi di jurnal. Impor ekspor broker Anda dulu."
        fake.then({"tool_calls": [{"name": "get_summary", "arguments": "{}"}]}, {"content": answer})
        page.goto("/mentor")
        expect(page.locator("[data-testid=chat-provider]")).to_contain_text("fake-model")
        page.fill("[data-testid=question]", "bagaimana trading saya?")
        page.click("[data-testid=ask]")
        latest = page.locator("[data-testid=chat-log] p.mentor").last
        expect(latest.locator("span").first).to_have_text(answer)
        assert len(fake.requests) == 2
        assert [r.get("stream") for r in fake.requests] == [None, None]  # tool rounds: plain
        assert fake.requests[0]["tool_choice"] == "auto"
        tool = fake.requests[1]["messages"][-1]
        assert "journal is empty" in tool["content"]
        # under the answer: what it rests on, the tool result on demand
        expect(latest.locator("[data-testid=answer-source]")).to_have_text(
            "Dijawab oleh model berdasarkan: ringkasan jurnal"
        )
        evidence = latest.locator("[data-testid=answer-evidence]")
        expect(evidence.locator("pre")).to_be_hidden()
        evidence.locator("summary").click()
        expect(evidence.locator("pre")).to_contain_text("journal is empty")
        # the streamed answer can be deleted at once, without a reload
        latest.locator("[data-testid=delete-message]").click()
        expect(page.locator("[data-testid=chat-log] p.mentor")).to_have_count(0)
        thread_id = page.locator("[data-testid=thread-select]").input_value()
        kept = page.request.get(f"/api/mentor/threads/{thread_id}").json()["messages"]
        assert [m["role"] for m in kept] == ["user"]
        # an answer telling the trader to buy never shows: the offline answer and why
        fake.then(
            {"tool_calls": [{"name": "get_summary", "arguments": "{}"}]},
            {"content": "Sebaiknya Anda beli BTC sekarang juga."},
        )
        page.fill("[data-testid=question]", "apa yang harus saya lakukan?")
        page.click("[data-testid=ask]")
        latest = page.locator("[data-testid=chat-log] p.mentor").last
        expect(latest.locator("[data-testid=answer-notice]")).to_have_text(
            "Jawaban model bahasa tidak disimpan (isinya menyuruh Anda bertransaksi (“Sebaiknya "
            "Anda beli”), hal yang tidak pernah dilakukan mentor), jadi mentor offline yang "
            "menjawab."
        )
        expect(latest.locator("span").first).to_have_text(translate("id", "mentor.chat.unknown"))
        assert "BTC" not in page.locator("[data-testid=chat-log]").inner_text()
        page.reload()  # the notice is kept with the answer
        expect(page.locator("[data-testid=answer-notice]")).to_contain_text("Sebaiknya Anda beli")
        # the profile shows the audit log with the outcome and checks the model on demand
        page.goto("/profile")
        outcomes = page.locator("[data-testid=llm-call-outcome]")
        expect(outcomes).to_have_text(["diganti mentor offline (perintah bertransaksi)", "dijawab"])
        expect(page.locator("[data-testid=llm-check]")).to_have_text(
            "Model belum diperiksa sejak server dijalankan."
        )
        fake.then({"tool_calls": [{"name": "get_summary", "arguments": "{}"}]})
        page.click("[data-testid=check-llm]")
        expect(page.locator("[data-testid=llm-check]")).to_contain_text(
            "Model fake-model terdaftar di server dan memanggil alat saat diminta"
        )
    finally:
        context.close()


def test_suggestions_are_buttons_the_whole_answer_shows_and_the_emotion_stays(
    browser, server: str, tmp_path
) -> None:
    """On a phone-sized window: an unknown question offers questions as buttons; one asked
    with the keyboard is answered in full inside the visible conversation; the stated emotion
    is still selected after a reload."""
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        register_in_browser(page, "Hana")
        export = tmp_path / "orders.csv"
        export.write_bytes(synthetic_export(200, seed=9))  # 2024-01-02 to 01-08, a Friday too
        page.goto("/journal")
        page.set_input_files("[data-testid=journal-file]", str(export))
        page.click("[data-testid=import]")
        page.wait_for_selector("[data-testid=summary]")

        page.goto("/mentor?lang=en")
        offered = page.locator("[data-testid=chat-suggestions] button")
        expect(offered.first).to_be_visible()  # an empty conversation offers questions
        assert offered.first.inner_text() == translate("en", "mentor.suggest.best_hour")
        page.fill("[data-testid=question]", "tell me a joke")
        page.press("[data-testid=question]", "Enter")
        replies = page.locator("[data-testid=chat-log] p.mentor")
        expect(replies).to_have_count(1)
        expect(replies.first).to_contain_text(translate("en", "mentor.chat.unknown"))
        buttons = replies.first.locator("button.suggestion")
        expect(buttons).to_have_count(5)
        expect(page.locator("[data-testid=chat-suggestions]")).to_be_hidden()

        friday = buttons.filter(has_text=translate("en", "mentor.suggest.weekday_loss"))
        friday.focus()
        page.keyboard.press("Enter")  # a suggestion is a real button: the keyboard asks it
        expect(replies).to_have_count(2)
        answer = replies.nth(1)
        expect(answer).to_have_text(re.compile(r"^On Friday 2024-01-05: \d+ trades.* USD"))
        asked = page.locator("[data-testid=chat-log] p.me").last
        assert asked.inner_text() == translate("en", "mentor.suggest.weekday_loss")
        box = answer.bounding_box()
        log = page.locator("[data-testid=chat-log]").bounding_box()
        assert box is not None and log is not None
        assert log["y"] - 1 <= box["y"] and box["y"] + box["height"] <= log["y"] + log["height"] + 1
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844  # within the window too

        buttons.filter(has_text=translate("en", "mentor.suggest.best_hour")).click()
        expect(replies).to_have_count(3)
        expect(replies.nth(2)).to_contain_text("Your best entry hour is")
        last = replies.nth(2).bounding_box()
        log = page.locator("[data-testid=chat-log]").bounding_box()
        assert last["y"] + last["height"] <= log["y"] + log["height"] + 1
        assert last["y"] >= 0 and last["y"] + last["height"] <= 844

        # the stated emotion: shown at once, and still selected after a reload
        page.select_option("[data-testid=emotion]", "frustrated")
        page.click("[data-testid=send-feedback]")
        expect(page.locator("[data-testid=feedback-answer]")).to_contain_text("frustrated")
        expect(page.locator("[data-testid=day-emotion]")).to_have_text(
            translate("id", "emotion.frustrated")
        )
        page.reload()
        expect(page.locator("[data-testid=emotion]")).to_have_value("frustrated")
        # the stored thread shows its suggestions as buttons again
        expect(
            page.locator("[data-testid=chat-log] p.mentor").first.locator("button")
        ).to_have_count(6)
        assert problems == []
    finally:
        context.close()
