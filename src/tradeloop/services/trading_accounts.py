"""Trading accounts a user's bots can trade on: paper, a crypto exchange through ccxt, or a
MetaTrader 5 terminal. Credentials are sealed with the notes' key as soon as they arrive,
need two-factor sign-in to be stored, and never leave the server: what is shown of them is
the key's last 4 characters. Adding, changing and deleting are in the audit log (without
credentials)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cryptography.fernet import MultiFernet
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints
from sqlalchemy.orm import Session

from tradeloop.brokers import exchanges
from tradeloop.brokers.errors import broker_error
from tradeloop.config import Settings
from tradeloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tradeloop.i18n import translate
from tradeloop.mentor.notes import seal, unseal
from tradeloop.services import two_factor
from tradeloop.store import audit
from tradeloop.store import trading_accounts as repo
from tradeloop.store.bots import active_bots_on_account
from tradeloop.store.models import TradingAccount, User
from tradeloop.store.pagination import Page
from tradeloop.store.users import lock_user

MAX_ACCOUNTS = 50  # per user
ADDED, CHANGED, KEYS_CHANGED, DELETED, TESTED = (
    "trading_account_added", "trading_account_changed", "trading_account_keys_changed",
    "trading_account_deleted", "trading_account_tested",
)  # fmt: skip

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]  # fmt: skip
Secret = Annotated[SecretStr, Field(min_length=1, max_length=512)]


class Guards(BaseModel):
    """Limits checked before any order of the account leaves (None: no limit)."""

    model_config = ConfigDict(extra="forbid")

    max_order_size: float | None = Field(None, gt=0, le=1e9, allow_inf_nan=False)
    max_open_positions: int | None = Field(None, ge=1, le=1000)
    max_daily_loss: float | None = Field(None, gt=0, le=1e12, allow_inf_nan=False)


class Credentials(BaseModel):
    """An exchange's API key and secret (and passphrase where it needs one), or an MT5
    account's password."""

    model_config = ConfigDict(extra="forbid")

    api_key: Secret | None = None
    api_secret: Secret | None = None
    api_password: Secret | None = None
    mt5_password: Secret | None = None

    def given(self) -> dict[str, str]:
        """The credentials filled in, in clear (only to be sealed)."""
        values = {name: getattr(self, name) for name in Credentials.model_fields}
        return {
            name: value.get_secret_value()
            for name, value in values.items()
            if value is not None and value.get_secret_value().strip()
        }


class AccountSpec(Guards, Credentials):
    """A new account. ``mode`` (ccxt only) defaults to the exchange's testnet, or to dry-run
    (live prices, paper fills) where it has none; ``live`` must be asked for."""

    name: Name
    kind: Literal["paper", "ccxt", "mt5"]
    exchange: str | None = Field(None, max_length=40)
    market_type: Literal["spot", "futures"] = "spot"
    mode: Literal["testnet", "dry_run", "live"] | None = None
    mt5_login: str | None = Field(None, pattern=r"^[0-9]{1,20}$")
    mt5_server: str | None = Field(None, min_length=1, max_length=128,
                                   pattern=r"^[^\x00-\x1f\x7f]+$")  # fmt: skip


class AccountChange(Guards):
    """A change of name, mode or guards (a guard left out is unchanged; null removes it)."""

    name: Name | None = None
    mode: Literal["testnet", "dry_run", "live"] | None = None


def _invalid(field: str, message: str, key: str, **values: Any) -> InvalidInput:
    values.setdefault("field", field)
    return InvalidInput(f"{field}: {message}", [{"field": field}], f"accounts.error.{key}", values)


def exchange_facts(exchange_id: str) -> exchanges.ExchangeFacts:
    """What ccxt knows of ``exchange_id``; 422 naming it when ccxt has no such exchange."""
    facts = exchanges.facts(exchange_id[:40])
    if facts is None:
        raise _invalid("exchange", f"unknown exchange {exchange_id[:40]!r} (a ccxt exchange id, "
                       "e.g. binance)", "unknown_exchange", exchange=exchange_id[:40])  # fmt: skip
    return facts


def _mode(spec: AccountSpec) -> str | None:
    """The account's mode after the rules of its kind and exchange."""
    if spec.kind != "ccxt":
        if spec.mode is not None:
            raise _invalid("mode", "only crypto exchange accounts have a mode", "mode_ccxt_only")
        return None
    facts = exchange_facts(spec.exchange or "")
    if spec.market_type == "futures" and not facts.futures:
        raise _invalid("market_type", f"{facts.name} has no futures in ccxt", "no_futures",
                       exchange=facts.name)  # fmt: skip
    sandbox = facts.futures_sandbox if spec.market_type == "futures" else facts.sandbox
    mode = spec.mode or ("testnet" if sandbox else "dry_run")
    if mode == "testnet" and not sandbox:
        raise _invalid("mode", f"{facts.name} has no testnet: choose dry_run (live prices, paper "
                       "fills) or live", "no_testnet", exchange=facts.name)  # fmt: skip
    return mode


def _check_kind(spec: AccountSpec, given: dict[str, str]) -> None:
    """Each kind's fields, and no field of another kind."""
    exchange_keys = {"api_key", "api_secret", "api_password"} & given.keys()
    if spec.kind != "ccxt" and (spec.exchange or exchange_keys):
        raise _invalid("exchange", "only crypto exchange accounts have an exchange and API keys",
                       "exchange_ccxt_only")  # fmt: skip
    mt5_fields = spec.mt5_login or spec.mt5_server or "mt5_password" in given
    if spec.kind != "mt5" and mt5_fields:
        raise _invalid("mt5_login", "only MetaTrader 5 accounts have a login, server and "
                       "password", "mt5_only")  # fmt: skip
    if spec.kind == "mt5":
        for field in ("mt5_login", "mt5_server", "mt5_password"):
            if not (getattr(spec, field) if field != "mt5_password" else given.get(field)):
                raise _invalid(field, "required for a MetaTrader 5 account", "required")


def _check_keys(spec: AccountSpec, mode: str | None, given: dict[str, str]) -> None:
    """A ccxt account trading for real or on a testnet needs its key and secret (and the
    passphrase its exchange asks for); a dry run needs none."""
    if spec.kind != "ccxt" or mode == "dry_run":
        return
    facts = exchanges.facts(spec.exchange or "")
    needed = ["api_key", "api_secret"] + (["api_password"] if facts and facts.needs_password
                                          else [])  # fmt: skip
    for field in needed:
        if field not in given:
            raise _invalid(field, f"required for a {mode} account", "required")


def _require_two_factor(user: User) -> None:
    if not two_factor.is_enabled(user):
        raise Forbidden(
            "turn on two-factor sign-in (Security page) before storing exchange keys or a "
            "MetaTrader password", key="accounts.error.two_factor_required",
        )  # fmt: skip


def _sealed(cipher: MultiFernet, given: dict[str, str]) -> tuple[str | None, str]:
    """The credentials sealed as one JSON text, and the key's last 4 characters."""
    if not given:
        return None, ""
    key = given.get("api_key", "")
    return seal(cipher, json.dumps(given, sort_keys=True)), key[-4:] if len(key) >= 8 else ""


def credentials_of(cipher: MultiFernet, account: TradingAccount) -> dict[str, str]:
    """The account's credentials in clear, for the adapter that connects (never shown)."""
    opened = unseal(cipher, account.credentials)
    if not opened:
        return {}
    try:
        return dict(json.loads(opened))
    except ValueError:  # sealed with a key no longer configured
        return {}


def account_record(account: TradingAccount) -> dict[str, Any]:
    """The account as the user sees it: never its credentials."""
    return {
        "id": account.id, "name": account.name, "kind": account.kind,
        "exchange": account.exchange, "market_type": account.market_type, "mode": account.mode,
        "has_credentials": account.credentials is not None, "key_hint": account.key_hint,
        "mt5_login": account.mt5_login, "mt5_server": account.mt5_server,
        "max_order_size": account.max_order_size,
        "max_open_positions": account.max_open_positions,
        "max_daily_loss": account.max_daily_loss,
        "created_at": account.created_at, "updated_at": account.updated_at,
    }  # fmt: skip


def _detail(account: TradingAccount) -> dict[str, Any]:
    return {"account": account.id, "kind": account.kind, "exchange": account.exchange,
            "mode": account.mode}  # fmt: skip


def _free_name(session: Session, user: User, name: str, account_id: int | None = None) -> None:
    other = repo.named(session, user.id, name)
    if other is not None and other.id != account_id:
        raise Conflict(f"name: you already have an account called {name!r}", [{"field": "name"}],
                       "accounts.error.name_taken", {"name": name})  # fmt: skip


def add_account(
    session: Session, user: User, cipher: MultiFernet, spec: AccountSpec, address: str = ""
) -> TradingAccount:
    """Check ``spec`` against its kind and exchange, and store it (credentials sealed)."""
    given = spec.given()
    _check_kind(spec, given)
    mode = _mode(spec)
    _check_keys(spec, mode, given)
    if given:
        _require_two_factor(user)
    lock_user(session, user.id)
    _free_name(session, user, spec.name)
    if repo.list_accounts(session, user.id, 1, 0).total >= MAX_ACCOUNTS:
        raise Conflict(f"at most {MAX_ACCOUNTS} accounts", key="accounts.error.too_many",
                       values={"limit": MAX_ACCOUNTS})  # fmt: skip
    sealed, hint = _sealed(cipher, given)
    now = datetime.now(UTC)
    account = repo.add(session, TradingAccount(
        user_id=user.id, name=spec.name, kind=spec.kind, exchange=spec.exchange,
        market_type=spec.market_type if spec.kind == "ccxt" else "spot", mode=mode,
        credentials=sealed, key_hint=hint, mt5_login=spec.mt5_login, mt5_server=spec.mt5_server,
        max_order_size=spec.max_order_size, max_open_positions=spec.max_open_positions,
        max_daily_loss=spec.max_daily_loss, created_at=now, updated_at=now,
    ))  # fmt: skip
    audit.record(session, user.id, ADDED, address=address, detail=_detail(account))
    return account


def require_account(session: Session, user_id: int, account_id: int) -> TradingAccount:
    """The user's account ``account_id``; 404 when there is none of theirs."""
    account = repo.get(session, user_id, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}", key="accounts.error.not_found",
                       values={"id": account_id})  # fmt: skip
    return account


def runnable_accounts(session: Session, user_id: int) -> list[TradingAccount]:
    """The user's accounts a bot may trade on here: exchanges (a dry run, or testnet or live
    with keys), and MetaTrader 5 where its package runs."""
    from tradeloop.brokers.mt5_broker import mt5_available  # tries the MetaTrader5 package

    mt5 = mt5_available()
    return [a for a in repo.all_of(session, user_id) if (
        (a.kind == "ccxt" and (a.mode == "dry_run" or a.credentials is not None))
        or (a.kind == "mt5" and mt5 and a.credentials is not None))]  # fmt: skip


def list_accounts(session: Session, user: User, limit: int, offset: int) -> Page[TradingAccount]:
    """The user's accounts by name."""
    return repo.list_accounts(session, user.id, limit, offset)


def change_account(
    session: Session, user: User, cipher: MultiFernet, account_id: int, change: AccountChange,
    address: str = "",
) -> TradingAccount:  # fmt: skip
    """Rename the account, change its mode (ccxt) or its guards."""
    lock_user(session, user.id)
    account = require_account(session, user.id, account_id)
    fields = change.model_dump(exclude_unset=True)
    if fields.get("name") is not None:
        _free_name(session, user, fields["name"], account.id)
        account.name = fields["name"]
    if "mode" in fields and fields["mode"] != account.mode:
        _not_in_use(session, account)  # a running bot never moves between testnet and money
        spec = AccountSpec(name=account.name, kind=account.kind, exchange=account.exchange,
                           market_type=account.market_type, mode=fields["mode"])  # fmt: skip
        mode = _mode(spec)
        if mode != "dry_run" and account.kind == "ccxt":
            if account.credentials is None:
                raise _invalid("mode", f"a {mode} account needs API keys: add them first",
                               "keys_first", mode=mode)  # fmt: skip
            _require_two_factor(user)  # keys come back into use: only with two-factor on
            _check_keys(spec, mode, credentials_of(cipher, account))
        account.mode = mode
    for name in Guards.model_fields:
        if name in fields:
            setattr(account, name, fields[name])
    account.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, user.id, CHANGED, address=address,
                 detail={**_detail(account), "fields": sorted(fields)})  # fmt: skip
    return account


def replace_credentials(
    session: Session, user: User, cipher: MultiFernet, account_id: int,
    credentials: Credentials, address: str = "",
) -> TradingAccount:  # fmt: skip
    """Put new credentials on the account (the old ones are gone)."""
    account = require_account(session, user.id, account_id)
    _not_in_use(session, account)
    given = credentials.given()
    spec = AccountSpec(name=account.name, kind=account.kind, exchange=account.exchange,
                       market_type=account.market_type, mode=account.mode,
                       mt5_login=account.mt5_login, mt5_server=account.mt5_server,
                       **credentials.model_dump())  # fmt: skip
    if account.kind == "paper":
        raise _invalid("kind", "a paper account has no credentials", "paper_no_keys")
    _check_kind(spec, given)
    _check_keys(spec, account.mode, given)
    if not given:
        raise _invalid("api_key", "no credentials given", "required")
    _require_two_factor(user)
    account.credentials, account.key_hint = _sealed(cipher, given)
    account.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, user.id, KEYS_CHANGED, address=address, detail=_detail(account))
    return account


def _not_in_use(session: Session, account: TradingAccount) -> None:
    """409 naming the bots that run on the account (its mode or keys must not change under
    them, nor may it go)."""
    running = active_bots_on_account(session, account.user_id, account.id)
    if running:
        names = ", ".join(bot.name for bot in running)
        raise Conflict(f"bots run on account {account.name!r} ({names}): stop them first",
                       key="accounts.error.in_use",
                       values={"name": account.name, "bots": names})  # fmt: skip


def delete_account(session: Session, user: User, account_id: int, address: str = "") -> None:
    """Delete the account and its credentials."""
    account = require_account(session, user.id, account_id)
    _not_in_use(session, account)
    detail = _detail(account)
    repo.remove(session, account)
    audit.record(session, user.id, DELETED, address=address, detail=detail)


class ConnectionReport(BaseModel):
    """What testing an account's connection found."""

    ok: bool
    message: str
    balances: dict[str, float] = Field(default_factory=dict)
    can_trade: bool | None = None
    can_withdraw: bool | None = None
    warnings: list[str] = Field(default_factory=list)


def _checked(account: TradingAccount, exchange: Any, language: str) -> ConnectionReport:
    """Markets, balances and the key's rights read from the exchange."""
    exchange.load_markets()
    if account.credentials is None:  # a dry run with public data only
        return ConnectionReport(ok=True, message=translate(language, "accounts.test.public"))
    balance = exchange.fetch_balance()
    held = {asset: float(amount) for asset, amount in (balance.get("total") or {}).items()
            if amount}  # fmt: skip
    rights = exchanges.key_rights(exchange)
    warnings = []
    if rights.withdraw is None:
        warnings.append(translate(language, "accounts.test.withdraw_unknown"))
    if rights.trade is False:
        warnings.append(translate(language, "accounts.test.cannot_trade"))
    verdict = "accounts.test.withdraw_refused" if rights.withdraw else "accounts.test.ok"
    return ConnectionReport(
        ok=not rights.withdraw, message=translate(language, verdict),
        balances=dict(sorted(held.items())[:20]), can_trade=rights.trade,
        can_withdraw=rights.withdraw, warnings=warnings,
    )  # fmt: skip


def test_connection(
    session: Session, user: User, cipher: MultiFernet, settings: Settings, account_id: int,
    address: str = "",
) -> ConnectionReport:  # fmt: skip
    """Reach the account's broker with its keys: balances, and whether the key may trade and
    withdraw (a key that may withdraw is refused: make one that cannot). Audited."""
    account = require_account(session, user.id, account_id)
    language = user.language
    if account.kind == "paper":
        report = ConnectionReport(ok=True, message=translate(language, "accounts.test.paper"))
    elif account.kind == "mt5":
        report = ConnectionReport(ok=False, message=translate(language, "accounts.test.mt5"))
    else:
        import ccxt

        try:
            exchange = exchanges.connect(
                account.exchange or "", account.market_type, account.mode,
                credentials_of(cipher, account), settings.ccxt_urls.get(account.exchange or ""),
            )  # fmt: skip
            report = _checked(account, exchange, language)
        except ccxt.BaseError as exc:
            error = broker_error(exc)
            report = ConnectionReport(
                ok=False, message=translate(language, error.key or "", **error.values)
            )
    audit.record(session, user.id, TESTED, outcome="ok" if report.ok else "failed",
                 address=address, detail=_detail(account))  # fmt: skip
    return report
