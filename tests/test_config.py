"""Settings: environment prefix, generated secret kept 0600, masking."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tradeloop.config import Settings


def test_defaults_use_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'tradeloop.db'}"
    assert settings.default_language == "id" and settings.debug is False
    assert settings.cors_origins == []


def test_secret_is_generated_once_and_kept_owner_only(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).effective_secret_key
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 40
    assert Settings(data_dir=tmp_path).effective_secret_key == first


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(
        "TRADELOOP_DATABASE_URL", "postgresql+psycopg://tl:hunter2hunter2@db:5432/tl"
    )
    monkeypatch.setenv("TRADELOOP_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TRADELOOP_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("TRADELOOP_DEFAULT_LANGUAGE", "en")
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.effective_secret_key == "s" * 40
    assert not (tmp_path / "secret_key").exists()
    shown = settings.masked()
    assert shown["secret_key"] == "********"
    assert shown["database_url"] == "postgresql+psycopg://tl:***@db:5432/tl"
    assert "hunter2" not in str(shown)


def test_short_configured_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADELOOP_SECRET_KEY", "too-short")
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings()


def test_bad_language_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADELOOP_DEFAULT_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="default_language"):
        Settings()
