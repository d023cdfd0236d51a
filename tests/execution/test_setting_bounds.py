"""Bounds on the settings a run or a bot takes: dates, starting balance, risk per trade, stop
distances, strict numbers; and risk sizing that a gap cannot turn into the loss of the whole
account. Checked on the model, in the engine, and through the API, the web form and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.backtest.helpers import GivenSignals, bars
from tests.conftest import PASSWORD, bearer, register
from tradeloop.backtest.engine import run_backtest
from tradeloop.cli.main import main
from tradeloop.execution.rules import MAX_LEVERAGE, risk_lots
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.i18n import translate
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars

# (settings, field, Pydantic's error type)
REFUSED = [
    ({"initial_cash": 1e-300}, "initial_cash", "greater_than_equal"),
    ({"initial_cash": 0.5}, "initial_cash", "greater_than_equal"),
    ({"initial_cash": 2e12}, "initial_cash", "less_than_equal"),
    ({"initial_cash": True}, "initial_cash", "float_type"),
    ({"initial_cash": "10000"}, "initial_cash", "float_type"),
    ({"risk_percent": 100, "sl_pips": 20}, "risk_percent", "less_than_equal"),
    ({"risk_percent": 10.01, "sl_pips": 20}, "risk_percent", "less_than_equal"),
    ({"risk_percent": 1, "sl_pips": 0.0001}, "sl_pips", "greater_than_equal"),
    ({"lots": 1, "tp_pips": 0.09}, "tp_pips", "greater_than_equal"),
    ({"sl_atr": 0.01}, "sl_atr", "greater_than_equal"),
    ({"tp_atr": 0.05}, "tp_atr", "greater_than_equal"),
    ({"lots": True}, "lots", "float_type"),
    ({"units": False}, "units", "float_type"),
    ({"atr_period": True, "sl_atr": 2}, "atr_period", "int_type"),
    ({"atr_period": 14.0, "sl_atr": 2}, "atr_period", "int_type"),
    ({"commission": True}, "commission", "float_type"),
    ({"spread_pips": True}, "spread_pips", "float_type"),
    ({"conversion_rate": True}, "conversion_rate", "float_type"),
]


@pytest.mark.parametrize(("values", "field", "kind"), REFUSED)
def test_nonsense_settings_are_refused_naming_the_field(values, field, kind) -> None:
    with pytest.raises(ValidationError) as caught:
        ExecutionSettings.model_validate(values)
    errors = caught.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [((field,), kind)]


def test_the_probes_settings_are_refused_on_both_counts() -> None:
    with pytest.raises(ValidationError) as caught:
        ExecutionSettings(risk_percent=100, sl_pips=0.0001, initial_cash=10_000)
    assert [(e["loc"][0], e["type"]) for e in caught.value.errors()] == [
        ("sl_pips", "greater_than_equal"),
        ("risk_percent", "less_than_equal"),
    ]


def test_the_bounds_themselves_and_whole_numbers_are_accepted() -> None:
    low = ExecutionSettings(initial_cash=1, risk_percent=10, sl_pips=0.1, tp_pips=0.1)
    assert (low.initial_cash, low.risk_percent, low.sl_pips) == (1.0, 10.0, 0.1)
    high = ExecutionSettings(initial_cash=1e12, sl_atr=0.1, tp_atr=100, lots=2)
    assert (high.initial_cash, high.sl_atr, high.lots) == (1e12, 0.1, 2.0)


def test_a_forms_text_is_read_as_numbers_when_asked() -> None:
    """A form sends text: validated with ``strict=False`` it is read as numbers, bounds kept."""
    form = {"initial_cash": "5000", "risk_percent": "2.5", "sl_pips": "20", "atr_period": "20"}
    settings = ExecutionSettings.model_validate(form, strict=False)
    assert (settings.initial_cash, settings.risk_percent, settings.atr_period) == (5000, 2.5, 20)
    with pytest.raises(ValidationError, match="less than or equal to 10"):
        ExecutionSettings.model_validate({"risk_percent": "50", "sl_pips": "20"}, strict=False)


# --- sizing -------------------------------------------------------------------------------


def test_risk_sizing_is_capped_at_30_times_equity_of_position_value() -> None:
    assert MAX_LEVERAGE == 30
    # 10 % of 10,000 over a 0.1-pip EURUSD stop asks 1,000 lots; 30 × 10,000 buys 2.72 lots
    assert risk_lots(10_000, 0.1, 0.00001, 100_000, 1.0, 0.01, 100, 0.01, 1.1) == 2.72
    # USDJPY: a lot is worth 100,000 USD whatever the price (profit converted at 1/price)
    assert risk_lots(10_000, 0.1, 0.001, 100_000, 1 / 150, 0.01, 100, 0.01, 150.0) == 3.0
    # a wide stop keeps the risk rule: 1 % of 10,000 over 50 pips is 0.20 lot
    assert risk_lots(10_000, 0.01, 0.0050, 100_000, 1.0, 0.01, 100, 0.01, 1.1) == 0.2
    # when even the minimum lot is worth more than the cap, the trade is skipped
    assert risk_lots(10, 0.1, 0.00001, 100_000, 1.0, 0.01, 100, 0.01, 1.1) == 0.0


def test_a_gap_through_a_hair_thin_stop_cannot_lose_the_whole_account() -> None:
    flat = (1.1000, 1.1001, 1.1000, 1.1000)
    gap = (1.0890, 1.0895, 1.0885, 1.0890)  # opens 1 % lower: through the 0.1-pip stop
    result = run_backtest(
        bars([flat, flat, flat, gap, gap]),
        GivenSignals([0, 1, 0, 0, 0]),
        resolve_instrument("EURUSD"),
        ExecutionSettings(risk_percent=10, sl_pips=0.1, spread_pips=0),
    )
    trade = result.trades.iloc[0]
    assert trade.lots == pytest.approx(2.72)  # not the 100-lot maximum (a loss of 110,000)
    assert (trade.exit_price, trade.exit_reason) == (1.0890, "stop")
    assert trade.pnl == pytest.approx(-0.0110 * 272_000)  # -2,992: 29.9 % of the account
    assert result.stats["final_equity"] == pytest.approx(10_000 - 2_992)


def test_the_probes_run_now_keeps_most_of_the_account() -> None:
    """The probe's risk 100 % with a 0.0001-pip stop lost 10,800 on 10,000; the strongest
    settings allowed now (10 %, 0.1 pip) never lose more than a fraction of the account in
    one trade, and the account never goes below zero."""
    for symbol in ("EURUSD", "USDJPY", "XAUUSD"):
        price = {"EURUSD": 1.1, "USDJPY": 150.0, "XAUUSD": 2000.0}[symbol]
        result = run_backtest(
            random_walk_bars(3000, seed=21, price=price, gap_chance=0.05),
            GivenSignals([0, 1, -1, 0] * 750, exit_long=None),
            resolve_instrument(symbol),
            ExecutionSettings(risk_percent=10, sl_pips=0.1, tp_pips=5, on_opposite="reverse"),
        )
        trades = result.trades
        equity_before = 10_000 + trades["pnl"].cumsum().shift(fill_value=0)
        assert len(trades) > 100
        assert (-trades["pnl"] / equity_before).max() < 0.5, symbol
        assert result.equity.min() > 0 and result.stats["final_equity"] > 0


# --- through the interfaces ---------------------------------------------------------------


def bars_csv() -> bytes:
    return random_walk_bars(300, seed=4).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()


def test_api_backtests_refuse_each_bound_with_the_setting_named(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = {**bearer(client, "ayu@example.com"), "Accept-Language": "en"}
    client.patch("/api/me", json={"language": "en"}, headers=headers)
    dataset = client.post(
        "/api/datasets", headers=headers, files={"file": ("EURUSD_H1.csv", bars_csv(), "text/csv")}
    ).json()["id"]
    expected = {
        "greater_than_equal": "Input should be greater than or equal to",
        "less_than_equal": "Input should be less than or equal to",
        "float_type": "Input should be a valid number",
        "int_type": "Input should be a valid integer",
    }
    for values, field, kind in REFUSED:
        response = client.post(
            "/api/backtests",
            headers=headers,
            data={
                "strategy": "ma_crossover",
                "dataset_id": str(dataset),
                "settings": json.dumps({"units": 1, **values} if "lots" not in values else values),
            },
        )
        assert response.status_code == 422, (values, response.text)
        body = response.json()
        assert [d["field"] for d in body["details"]] == [field], values
        assert f"settings.{field}: {expected[kind]}" in body["message"]
    assert client.get("/api/backtests", headers=headers).json()["total"] == 0
    ok = client.post(
        "/api/backtests",
        headers=headers,
        data={
            "strategy": "ma_crossover",
            "dataset_id": str(dataset),
            "settings": json.dumps({"risk_percent": 10, "sl_pips": 0.1, "initial_cash": 1}),
        },
    )
    assert ok.status_code == 201 and ok.json()["parameters"]["execution"]["initial_cash"] == 1


def test_the_rerun_refuses_them_too(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    made = client.post(
        "/api/backtests",
        headers=headers,
        files={"file": ("EURUSD_H1.csv", bars_csv(), "text/csv")},
        data={"strategy": "ma_crossover", "settings": '{"units": 1}'},
    ).json()
    rerun = client.post(
        f"/api/backtests/{made['id']}/rerun",
        json={"settings": {"units": None, "risk_percent": 100, "sl_pips": 0.0001}},
        headers=headers,
    )
    assert rerun.status_code == 422
    assert [d["field"] for d in rerun.json()["details"]] == ["sl_pips", "risk_percent"]


def test_bot_settings_take_strict_numbers_in_json(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    bot = {"name": "b", "market": "EURUSD", "strategy": "ma_crossover"}
    for change, field in [
        ({"lot_size": True}, "lot_size"),
        ({"lots": True}, "lots"),
        ({"sl_pips": True}, "sl_pips"),
        ({"sl_pips": 100.0}, "sl_pips"),
        ({"risk_percent": True}, "risk_percent"),
        ({"risk_percent": "1"}, "risk_percent"),
        ({"risk_percent": 25}, "risk_percent"),
        ({"sl_atr_multiplier": 0.01}, "sl_atr_multiplier"),
        ({"check_interval_seconds": True}, "check_interval_seconds"),
        ({"protections": {"losing_streak": True}}, "protections.losing_streak"),
    ]:
        response = client.post("/api/bots", json={**bot, **change}, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["details"][0]["field"] == field, change
    assert client.get("/api/bots", headers=headers).json()["total"] == 0
    made = client.post("/api/bots", json={**bot, "risk_percent": 2}, headers=headers).json()
    patched = client.patch(f"/api/bots/{made['id']}", json={"tp_pips": True}, headers=headers)
    assert patched.status_code == 422
    message = patched.json()["message"]
    assert message == "isian tidak valid: Target (pip): harus berupa bilangan bulat"
    assert translate("en", "bots.tp_pips") == "Target (pips)"


def test_the_bot_form_still_reads_its_text_as_numbers(client: TestClient) -> None:
    register(client, "ayu@example.com")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post(
        "/login", data={"csrf_token": token, "email": "ayu@example.com", "password": PASSWORD}
    )
    token = client.cookies["tl_csrf"]
    form = {"csrf_token": token, "name": "Gold", "market": "XAUUSD", "strategy": "ma_crossover"}
    made = client.post(
        "/bots", data={**form, "risk_percent": "2.5", "sl_pips": "30", "losing_streak": "3"}
    )
    assert made.status_code == 200
    bot = client.get("/api/bots").json()["items"][0]
    assert (bot["risk_percent"], bot["sl_pips"], bot["protections"]["losing_streak"]) == (
        2.5,
        30,
        3,
    )
    refused = client.post("/bots", data={**form, "risk_percent": "50"})
    assert refused.status_code == 422 and "Risiko per transaksi (%): maksimal 10" in refused.text


@pytest.mark.parametrize(
    ("day", "message_id", "message_en"),
    [
        ("0001-01-01", "minimal 1970-01-01", "must be at least 1970-01-01"),
        ("2101-01-01", "maksimal 2100-12-31", "must be at most 2100-12-31"),
    ],
)
def test_a_goal_starting_outside_1970_2100_is_422(
    client: TestClient, day: str, message_id: str, message_en: str
) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    goal = {"name": "g", "mistakes": ["no_stop_loss"], "target": 3, "start_date": day}
    response = client.post("/api/journal/goals", json=goal, headers=headers)
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "start_date"
    assert response.json()["message"] == f"isian tidak valid: start_date: {message_id}"
    client.patch("/api/me", json={"language": "en"}, headers=headers)
    english = client.post("/api/journal/goals", json=goal, headers=headers).json()
    assert english["message"] == f"invalid input: start_date: {message_en}"
    ok = client.post(
        "/api/journal/goals", json={**goal, "start_date": "2024-01-01"}, headers=headers
    )
    assert ok.status_code == 201


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(500, seed=9).to_csv(path, date_format="%Y-%m-%d %H:%M:%S")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cash", "1e-300"], "--cash: Input should be greater than or equal to 1"),
        (["--cash", "2e12"], "--cash: Input should be less than or equal to 1000000000000"),
        (
            ["--risk-percent", "100", "--sl-pips", "0.0001"],
            "--sl-pips: Input should be greater than or equal to 0.1",
        ),
        (
            ["--risk-percent", "100", "--sl-pips", "20"],
            "--risk-percent: Input should be less than or equal to 10",
        ),
        (["--sl-atr", "0.01"], "--sl-atr: Input should be greater than or equal to 0.1"),
        (
            ["--contract-size", "1", "--pip-size", "0.01", "--quote-currency", "USD", "--symbol",
             "A\x01B"],
            "symbol 'A\\x01B': use 1 to 32 characters without control characters",
        ),
    ],
)  # fmt: skip
def test_the_cli_exits_2_with_one_line(data: Path, args: list[str], message: str, capsys) -> None:
    assert main(["backtest", str(data), "-s", "ma_crossover", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
