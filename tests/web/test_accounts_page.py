"""The trading accounts page over HTTP: the risks in the user's language, keys refused until
two-factor sign-in is on, a refused form keeps what was typed except the keys, an account
added shows its key's last 4 characters only, and delete."""

from __future__ import annotations

import html
import re

import pyotp
from fastapi.testclient import TestClient

from tests.conftest import register
from tests.web.test_security_page import post, sign_in, text_of
from tradeloop.i18n import translate

KEY = "pageKEYaaaaBBBBcccc7781"
SECRET = "pageSECRETddddEEEEffff"


def _exchange(**fields: str) -> dict[str, str]:
    return {"name": "Binance", "kind": "ccxt", "exchange": "binance", "api_key": KEY,
            "api_secret": SECRET, "max_daily_loss": "150", **fields}  # fmt: skip


def test_keys_wait_for_two_factor_and_never_come_back(client: TestClient) -> None:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    page = client.get("/accounts")
    assert page.status_code == 200
    for key in ("accounts.risk_money", "accounts.risk_keys", "accounts.two_factor_needed",
                "accounts.empty"):  # fmt: skip
        assert translate("id", key) in text_of(page)
    assert '<a href="/accounts"' in page.text  # in the menu

    refused = post(client, "/accounts", "/accounts", **_exchange())
    assert refused.status_code == 403
    assert translate("id", "accounts.error.two_factor_required") in text_of(refused)
    assert 'value="Binance"' in refused.text and 'value="binance"' in refused.text
    assert KEY not in refused.text and SECRET not in refused.text

    assert post(client, "/security/two-factor").status_code == 303
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]{32})<', client.get("/security").text)
    code = pyotp.TOTP(secret.group(1)).now()
    assert post(client, "/security/two-factor/confirm", code=code).status_code == 200

    bad = post(client, "/accounts", "/accounts", **_exchange(max_open_positions="0"))
    assert bad.status_code == 422
    label = translate("id", "accounts.max_open_positions")
    assert f"{label}: " in text_of(bad)
    assert KEY not in bad.text

    added = post(client, "/accounts", "/accounts", **_exchange())
    assert added.headers["location"] == "/accounts?notice=accounts.added"
    page = client.get(added.headers["location"])
    assert translate("id", "accounts.added") in text_of(page)
    row = html.unescape(re.search(r'<tr data-testid="account-row".*?</tr>', page.text, re.S)[0])
    assert translate("id", "accounts.key_ending", hint="7781") in row
    assert translate("id", "accounts.mode.testnet") in row
    assert f"{translate('id', 'accounts.max_daily_loss')} 150.00" in row
    assert KEY not in page.text and SECRET not in page.text

    account_id = re.search(r'data-account-id="(\d+)"', row).group(1)
    deleted = post(client, f"/accounts/{account_id}/delete", "/accounts")
    assert deleted.headers["location"] == "/accounts?notice=accounts.deleted"
    assert translate("id", "accounts.empty") in text_of(client.get("/accounts"))


def test_a_paper_and_an_mt5_account_from_the_form(client: TestClient) -> None:
    register(client, "budi@example.com")
    sign_in(client, "budi@example.com")
    paper = post(client, "/accounts", "/accounts", name="Latihan", kind="paper", exchange="",
                 api_key="", mode="")  # fmt: skip
    assert paper.status_code == 303, paper.text
    no_server = post(client, "/accounts", "/accounts", name="MT5", kind="mt5",
                     mt5_login="5012345")  # fmt: skip
    assert no_server.status_code == 422
    assert translate("id", "accounts.error.required", field="mt5_server") in text_of(no_server)
    page = text_of(client.get("/accounts"))
    assert "Latihan" in page and translate("id", "accounts.kind.paper") in page
    assert client.post("/accounts/1/delete", data={"csrf_token": "wrong"}).status_code == 403
