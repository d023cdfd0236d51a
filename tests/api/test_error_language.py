"""A bad upload is refused in the user's language: the Indonesian user reads the catalogue's
Indonesian, the English user the English (which is also the CLI's message)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, register
from tradeloop.i18n import translate

BARS = b"time,open,high,low,close\n2024-01-02 09:00,1.1,1.2,1.0,1.15\n"
NO_CLOSE = b"time,open,high,low\n2024-01-02 09:00,1.1,1.2,1.0\n"


def signed_in(client: TestClient, language: str) -> dict[str, str]:
    register(client, f"{language}@example.com")
    headers = bearer(client, f"{language}@example.com")
    changed = client.patch("/api/me", json={"language": language}, headers=headers)
    assert changed.status_code == 200
    return headers


@pytest.mark.parametrize("language", ["id", "en"])
def test_bad_uploads_are_refused_in_the_users_language(client: TestClient, language) -> None:
    headers = signed_in(client, language)
    journal = client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("orders.csv", BARS, "text/csv")},
    )
    assert journal.status_code == 422
    assert journal.json()["message"] == translate(language, "journal.error.is_price_bars")
    market = client.post(
        "/api/datasets",
        headers=headers,
        files={"file": ("EURUSD.csv", NO_CLOSE, "text/csv")},
    )
    assert market.status_code == 422
    assert market.json()["message"] == translate(
        language, "market.error.missing_columns", missing="close", found="time, open, high, low"
    )
    if language == "id":
        assert market.json()["message"] == "Kolom close tidak ada: yang ada time, open, high, low"
    else:
        assert journal.json()["message"].startswith("this file is price bars (time, open, high")
        assert market.json()["message"] == "missing column(s) close: found time, open, high, low"
