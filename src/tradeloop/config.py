"""Settings from the environment (prefix ``TRADELOOP_``) with safe, generated defaults."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Language = Literal["id", "en"]
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600), creating parents."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new data dir: 0700
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret kept in ``path``; generate and store one (0600) on first use."""
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    value = secrets.token_urlsafe(nbytes)
    write_private_file(path, value + "\n")
    return value


class Settings(BaseSettings):
    """Effective configuration. Every field reads ``TRADELOOP_<NAME>`` from the environment."""

    model_config = SettingsConfigDict(env_prefix="TRADELOOP_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the database and keys live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data directory."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions and tokens; generated on first run when unset."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser."
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON/form body."
    )
    max_backtest_upload_bytes: int = Field(default=20 * 1_048_576, ge=1024)
    max_journal_upload_bytes: int = Field(default=2 * 1_048_576, ge=1024)
    workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="CPU-heavy requests (imports, backtests) running at once",
    )
    user_jobs: int = Field(default=2, ge=1, le=64, description="such requests per user at once")
    cpu_processes: bool = Field(
        default=True, description="run that work in worker processes (false: in the server's)"
    )
    work_queue: int = Field(default=32, ge=0, le=1000, description="such requests waiting")
    job_heartbeat_seconds: float = Field(
        default=5.0, ge=0.1, le=300,
        description="how often a background job's server says it is alive (silent 3 times: "
        "the job is shown as interrupted)",
    )  # fmt: skip
    job_grace_seconds: float = Field(
        default=30.0, ge=0, le=3600,
        description="at shutdown, how long running background jobs may take to finish before "
        "they are marked interrupted",
    )  # fmt: skip
    db_pool_size: int = Field(
        default=16, ge=1, le=200, description="database connections kept per server process"
    )
    analysis_cache: int = Field(
        default=64, ge=0, le=10_000, description="journal analyses kept in memory per process"
    )
    default_language: Language = "id"
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(
        default=5, ge=1, le=1000,
        description="failed sign-ins per account (or address) before each further one waits "
        "twice as long as the last: 1 s, 2 s, 4 s…",
    )  # fmt: skip
    login_window_seconds: int = Field(
        default=900, ge=1, le=7 * 24 * 3600,
        description="quiet seconds after which failed sign-ins are forgotten; also the longest "
        "wait between two attempts",
    )  # fmt: skip
    device_days: int = Field(
        default=365, ge=1, le=3650,
        description="a browser that signed in carries a device cookie this long: failures "
        "from elsewhere never block it",
    )  # fmt: skip
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="addresses or networks of reverse proxies whose X-Forwarded-For is "
        "believed (e.g. 127.0.0.1,10.0.0.0/8); empty: the connection's address is the client's",
    )
    limit_registrations_per_hour: int = Field(
        default=10, ge=1, le=100_000, description="new accounts per client address an hour"
    )
    limit_uploads_per_hour: int = Field(
        default=60, ge=1, le=100_000, description="journal and market-data uploads per user an hour"
    )
    limit_backtests_per_hour: int = Field(
        default=300, ge=1, le=100_000, description="backtests per user an hour"
    )
    limit_chat_per_hour: int = Field(
        default=120, ge=1, le=100_000, description="mentor questions and reports per user an hour"
    )
    limit_address_factor: int = Field(
        default=5, ge=1, le=1000,
        description="an address may do this many times a user's limit (several users behind "
        "one address)",
    )  # fmt: skip
    secure_cookies: bool | None = Field(
        default=None,
        description="Secure cookies and HSTS; unset: on for requests that arrive over HTTPS",
    )
    hsts_seconds: int = Field(
        default=31_536_000, ge=0, le=63_072_000, description="HSTS max-age when cookies are secure"
    )
    notes_key: SecretStr | None = Field(
        default=None,
        description="Fernet key for personal notes; default: derived from the secret key.",
    )
    notes_old_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Earlier notes keys, still accepted for reading (rotation).",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (OpenAI, Ollama, llama.cpp server); unset: "
        "the offline mentor only.",
    )
    llm_model: str | None = Field(default=None, description="Model name at that endpoint.")
    llm_api_key: SecretStr | None = Field(default=None, description="Key for that endpoint.")
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    llm_max_retries: int = Field(default=2, ge=0, le=5, description="Retries on 429/5xx/timeout.")
    llm_max_tool_rounds: int = Field(default=4, ge=1, le=10)
    llm_answer_seconds: float = Field(
        default=120.0, gt=0, le=3600, description="Longest time one answer may take in all."
    )
    llm_max_tokens: int = Field(
        default=400, ge=16, le=8192, description="Most tokens the model may write in one reply."
    )
    llm_temperature: float = Field(
        default=0.2, ge=0, le=2, description="Sampling temperature: low keeps to the figures."
    )
    llm_answer_chars: int = Field(
        default=1500, ge=100, le=20_000, description="Longest answer kept (characters)."
    )
    llm_daily_messages: int = Field(default=50, ge=0, description="LLM questions per user a day.")
    llm_daily_tokens: int = Field(default=100_000, ge=0, description="LLM tokens per user a day.")
    bot_lease_seconds: float = Field(
        default=10.0,
        gt=0.2,
        le=600,
        description="How long a dead supervisor's bots wait before another takes them over.",
    )
    sweep_workers: int | None = Field(
        default=None, ge=1, le=256,
        description="local processes one optimisation run uses (unset: every core; 1: in the "
        "server's process)",
    )  # fmt: skip
    dask_scheduler: str | None = Field(
        default=None,
        description="a Dask scheduler's address (tcp://host:port) for sweeps; unset: local "
        "processes",
    )
    live_poll_seconds: float = Field(
        default=10.0,
        ge=0.1,
        le=300,
        description="The longest wait between two requests of a live bot for new bars (it "
        "waits until the next bar closes, at most this).",
    )
    serve_bots: bool = Field(
        default=True,
        description="`tradeloop serve` also runs paper bots (false: a `tradeloop bots run` "
        "process does).",
    )
    retain_trades_days: int = Field(
        default=0, ge=0, le=36_500,
        description="`tradeloop db prune` deletes bot events, notifications and rows deleted "
        "(undo window over) older than this many days; 0 keeps them forever",
    )  # fmt: skip
    retain_backtests_days: int = Field(
        default=0, ge=0, le=36_500,
        description="`tradeloop db prune` deletes backtests older than this many days; 0 keeps "
        "them forever",
    )  # fmt: skip
    ccxt_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Operator only: exchange id -> base URL every ccxt API address of that "
        "exchange is moved to (a proxy, or the tests' server), as JSON, e.g. "
        '{"binance": "http://127.0.0.1:9000"}. Never taken from a user.',
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token Prometheus sends to /metrics; unset: /metrics answers 404.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="`tradeloop serve`'s log lines on stderr: JSON or text."
    )
    log_client_address: bool = Field(
        default=False, description="Put the client's address in access log lines."
    )
    undo_days: int = Field(
        default=30, ge=1, le=3650,
        description="A deleted bot or journal import can be restored (undo) this many days; "
        "`tradeloop db prune` then purges it for real.",
    )  # fmt: skip
    debug: bool = False

    @property
    def llm_enabled(self) -> bool:
        """Whether an LLM endpoint and model are configured."""
        return bool(self.llm_base_url and self.llm_model)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("ccxt_urls")
    @classmethod
    def _ccxt_urls(cls, value: dict[str, str]) -> dict[str, str]:
        for exchange, url in value.items():
            parsed = urlsplit(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(
                    f"TRADELOOP_CCXT_URLS: {exchange}: '{url}' is not an http(s) address"
                )
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        for item in value if isinstance(value, list) else []:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"TRADELOOP_TRUSTED_PROXIES: '{item}' is not an address or network"
                ) from exc
        return value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parsed = urlsplit(origin)
            if (
                origin in ("*", "null")
                or parsed.scheme not in ("http", "https")
                or not parsed.hostname
                or "*" in origin
                or parsed.path not in ("", "/")
                or parsed.query
                or parsed.fragment
            ):
                raise ValueError(
                    f"TRADELOOP_CORS_ORIGINS: '{origin}' is not an origin: list each site as "
                    "scheme://host[:port] (no '*', no 'null', no path)"
                )
        return [origin.rstrip("/") for origin in value]

    @field_validator("notes_old_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and 0 < len(value.get_secret_value()) < 32:
            raise ValueError("TRADELOOP_SECRET_KEY must be at least 32 characters (or unset it)")
        return value

    @cached_property
    def effective_database_url(self) -> str:
        """The configured database URL, or the SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tradeloop.db').resolve()}"

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured secret, or the one kept (0600) in the data directory."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        return read_or_create_secret(self.data_dir / SECRET_KEY_FILE)

    def masked(self) -> dict[str, object]:
        """Effective settings for display, with secrets and passwords masked."""
        shown: dict[str, object] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif value is None and name == "secret_key":
                value = f"(generated, kept in {self.data_dir / SECRET_KEY_FILE})"
            shown[name] = value
        shown["database_url"] = mask_url_password(self.effective_database_url)
        return shown


def mask_url_password(url: str) -> str:
    """Hide the password part of a database URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as it is, minus anything after '@'
        return url.split("@")[-1]


def get_settings() -> Settings:
    """Settings read fresh from the environment."""
    return Settings()
