"""Trading accounts over the API: each kind's rules, keys only with two-factor sign-in on,
keys sealed in the database and never answered, guards, isolation, the audit log."""

from __future__ import annotations

import time

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from tests.conftest import PASSWORD, bearer, in_english, register
from tradeloop.services.trading_accounts import credentials_of
from tradeloop.store.models import TradingAccount

KEY = "k3yAAAAbbbbCCCCdddd0042"
SECRET = "s3cretEEEEffffGGGGhhhh9999"


def _two_factor_on(client: TestClient, headers: dict[str, str]) -> pyotp.TOTP:
    totp = pyotp.TOTP(client.post("/api/me/two-factor", headers=headers).json()["secret"])
    confirm = {"code": totp.now()}
    assert (
        client.post("/api/me/two-factor/confirm", json=confirm, headers=headers).status_code == 200
    )
    return totp


def _user(client: TestClient, email: str) -> dict[str, str]:
    register(client, email)
    return in_english(client, bearer(client, email))


def _binance(**fields: object) -> dict[str, object]:
    return {"name": "Binance test", "kind": "ccxt", "exchange": "binance", "api_key": KEY,
            "api_secret": SECRET, **fields}  # fmt: skip


def test_exchange_keys_need_two_factor_then_are_sealed_and_never_answered(
    client: TestClient, app_settings
) -> None:
    ayu = _user(client, "ayu@example.com")
    refused = client.post("/api/accounts", json=_binance(), headers=ayu)
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "turn on two-factor sign-in (Security page) before storing exchange keys or a "
        "MetaTrader password"
    )
    assert client.get("/api/accounts", headers=ayu).json()["total"] == 0  # nothing stored

    _two_factor_on(client, ayu)
    added = client.post("/api/accounts", json=_binance(max_daily_loss=250), headers=ayu)
    assert added.status_code == 201, added.text
    account = added.json()
    assert {k: account[k] for k in ("kind", "exchange", "market_type", "mode", "key_hint",
                                    "has_credentials", "max_daily_loss", "max_order_size")} == {
        "kind": "ccxt", "exchange": "binance", "market_type": "spot", "mode": "testnet",
        "key_hint": "0042", "has_credentials": True, "max_daily_loss": 250.0,
        "max_order_size": None,
    }  # fmt: skip
    for answer in (added, client.get(f"/api/accounts/{account['id']}", headers=ayu),
                   client.get("/api/accounts", headers=ayu)):  # fmt: skip
        assert KEY not in answer.text and SECRET not in answer.text
        assert KEY[:-4] not in answer.text

    engine = create_engine(app_settings.database_url)
    with engine.connect() as connection:
        stored = connection.execute(select(TradingAccount)).one()
    engine.dispose()
    assert KEY not in str(stored) and SECRET not in stored.credentials
    from tradeloop.services.mentor import cipher_for

    assert credentials_of(cipher_for(app_settings), stored) == {  # type: ignore[arg-type]
        "api_key": KEY, "api_secret": SECRET,
    }  # fmt: skip

    audit = client.get("/api/me/audit", headers=ayu).json()["items"]
    added_event = next(event for event in audit if event["action"] == "trading_account_added")
    assert added_event["detail"] == {"account": account["id"], "kind": "ccxt",
                                     "exchange": "binance", "mode": "testnet"}  # fmt: skip


def test_each_kind_checks_its_fields(client: TestClient) -> None:
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)

    def refused(body: dict[str, object]) -> tuple[int, str, list]:
        answer = client.post("/api/accounts", json=body, headers=ayu)
        return answer.status_code, answer.json()["message"], answer.json()["details"]

    assert refused(_binance(exchange="nosuchex")) == (
        422, "exchange: unknown exchange 'nosuchex' (a ccxt exchange id, e.g. binance)",
        [{"field": "exchange"}],
    )  # fmt: skip
    assert refused(_binance(exchange="kraken", mode="testnet")) == (
        422, "mode: Kraken has no testnet: choose dry_run (live prices, paper fills) or live",
        [{"field": "mode"}],
    )  # fmt: skip
    assert refused(_binance(exchange="kraken", market_type="futures"))[1] == (
        "market_type: Kraken has no futures in ccxt"
    )
    no_secret = _binance()
    del no_secret["api_secret"]
    assert refused(no_secret)[1] == "api_secret: required for this account"
    okx = _binance(exchange="okx", name="OKX")
    assert refused(okx)[1] == "api_password: required for this account"  # OKX's passphrase
    assert refused({"name": "P", "kind": "paper", "api_key": KEY})[1] == (
        "exchange: only crypto exchange accounts have an exchange and API keys"
    )
    assert refused({"name": "M", "kind": "mt5", "mt5_login": "5012345"})[1] == (
        "mt5_server: required for this account"
    )
    assert refused({"name": "M", "kind": "mt5", "mt5_login": "50x"})[0] == 422
    assert refused({"name": "P", "kind": "paper", "mode": "live"})[1] == (
        "mode: only crypto exchange accounts have a mode"
    )
    assert refused({"name": "P", "kind": "paper", "max_open_positions": 0})[0] == 422
    assert refused({"name": "\x07", "kind": "paper"})[0] == 422
    assert client.get("/api/accounts", headers=ayu).json()["total"] == 0

    kraken = client.post("/api/accounts", json=_binance(exchange="kraken", name="Kraken",
                                                        api_key=None, api_secret=None),
                         headers=ayu)  # fmt: skip
    assert kraken.status_code == 201, kraken.text
    assert (kraken.json()["mode"], kraken.json()["has_credentials"]) == ("dry_run", False)
    mt5 = client.post("/api/accounts", headers=ayu, json={
        "name": "MT5 demo", "kind": "mt5", "mt5_login": "5012345",
        "mt5_server": "MetaQuotes-Demo", "mt5_password": "pw-Secret-1",
    })  # fmt: skip
    assert mt5.status_code == 201, mt5.text
    assert (mt5.json()["mode"], mt5.json()["key_hint"]) == (None, "")
    assert "pw-Secret-1" not in mt5.text
    again = client.post("/api/accounts", json={"name": "MT5 demo", "kind": "paper"}, headers=ayu)
    assert (again.status_code, again.json()["message"]) == (
        409, "name: you already have an account called 'MT5 demo'",
    )  # fmt: skip
    names = [item["name"] for item in client.get("/api/accounts", headers=ayu).json()["items"]]
    assert names == ["Kraken", "MT5 demo"]


def test_mode_guards_keys_change_and_delete_and_another_user_sees_none(
    client: TestClient,
) -> None:
    ayu, budi = _user(client, "ayu@example.com"), _user(client, "budi@example.com")
    _two_factor_on(client, ayu)
    dry = client.post("/api/accounts", headers=ayu, json={
        "name": "Dry", "kind": "ccxt", "exchange": "binance", "mode": "dry_run",
    }).json()  # fmt: skip
    url = f"/api/accounts/{dry['id']}"
    live = client.patch(url, json={"mode": "live"}, headers=ayu)
    assert (live.status_code, live.json()["message"]) == (
        422, "mode: a live account needs API keys: add them first",
    )  # fmt: skip
    keys = client.put(f"{url}/credentials", json={"api_key": KEY, "api_secret": SECRET},
                      headers=ayu)  # fmt: skip
    assert keys.status_code == 200, keys.text
    assert (keys.json()["key_hint"], keys.json()["has_credentials"]) == ("0042", True)
    changed = client.patch(url, json={"mode": "live", "max_open_positions": 2,
                                      "name": "Main"}, headers=ayu)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert [changed.json()[k] for k in ("name", "mode", "max_open_positions")] == [
        "Main", "live", 2,
    ]  # fmt: skip
    cleared = client.patch(url, json={"max_open_positions": None}, headers=ayu).json()
    assert (cleared["max_open_positions"], cleared["mode"]) == (None, "live")

    for method, path, body in (("get", url, None), ("patch", url, {"name": "x"}),
                               ("put", f"{url}/credentials", {"api_key": "a" * 8}),
                               ("delete", url, None)):  # fmt: skip
        answer = client.request(method.upper(), path, json=body, headers=budi)
        assert answer.status_code == 404, (method, answer.text)
    assert client.get("/api/accounts", headers=budi).json()["total"] == 0

    assert client.delete(url, headers=ayu).status_code == 204
    assert client.get(url, headers=ayu).status_code == 404
    actions = [e["action"] for e in client.get("/api/me/audit", headers=ayu).json()["items"]]
    assert actions[:5] == ["trading_account_deleted", "trading_account_changed",
                           "trading_account_changed", "trading_account_keys_changed",
                           "trading_account_added"]  # fmt: skip


def test_what_ccxt_knows_of_an_exchange(client: TestClient) -> None:
    ayu = _user(client, "ayu@example.com")
    assert client.get("/api/accounts/exchanges/okx", headers=ayu).json() == {
        "id": "okx", "name": "OKX", "sandbox": True, "futures": True, "futures_sandbox": True,
        "needs_password": True,
    }  # fmt: skip
    binance = client.get("/api/accounts/exchanges/binance", headers=ayu).json()
    assert (binance["sandbox"], binance["futures_sandbox"]) == (True, False)  # ccxt 4.5
    unknown = client.get("/api/accounts/exchanges/zzz", headers=ayu)
    assert (unknown.status_code, unknown.json()["details"]) == (422, [{"field": "exchange"}])


def test_binance_futures_have_no_testnet_and_live_needs_every_key_and_two_factor(
    client: TestClient,
) -> None:
    ayu = _user(client, "ayu@example.com")
    totp = _two_factor_on(client, ayu)
    futures = client.post("/api/accounts", headers=ayu, json=_binance(
        name="Futures", market_type="futures", api_key=None, api_secret=None))  # fmt: skip
    assert futures.status_code == 201, futures.text
    assert futures.json()["mode"] == "dry_run"  # ccxt refuses Binance's futures testnet
    refused = client.post("/api/accounts", headers=ayu, json=_binance(
        name="F2", market_type="futures", mode="testnet"))  # fmt: skip
    assert refused.json()["message"] == (
        "mode: Binance has no testnet: choose dry_run (live prices, paper fills) or live"
    )
    half = client.post("/api/accounts", headers=ayu, json=_binance(
        name="Half", mode="dry_run", api_secret=None))  # fmt: skip
    url = f"/api/accounts/{half.json()['id']}"
    live = client.patch(url, json={"mode": "live"}, headers=ayu)
    assert (live.status_code, live.json()["message"]) == (
        422, "api_secret: required for this account",
    )  # fmt: skip
    off = {"password": PASSWORD, "code": totp.at(time.time() + 30)}
    assert client.request("DELETE", "/api/me/two-factor", json=off, headers=ayu).status_code == 204
    keys = client.put(f"{url}/credentials", json={"api_key": KEY, "api_secret": SECRET},
                      headers=ayu)  # fmt: skip
    assert keys.status_code == 403  # new keys need two-factor sign-in on
    still = client.patch(url, json={"mode": "testnet"}, headers=ayu)
    assert (still.status_code, still.json()["message"]) == (
        403, "turn on two-factor sign-in (Security page) before storing exchange keys or a "
        "MetaTrader password",
    )  # fmt: skip
    assert client.get(url, headers=ayu).json()["mode"] == "dry_run"
