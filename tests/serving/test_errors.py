"""Messages users see come from the catalogues: Pydantic errors mapped to keys with their
parameters and the field's label, keyed user errors in either language, English for the CLI."""

from __future__ import annotations

import pickle

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from tradeloop.bots.config import BotSettings, BotUpdate
from tradeloop.core.errors import NotFound, TooManyRequests, UserError
from tradeloop.i18n import catalogue, translate
from tradeloop.services.accounts import ProfileUpdate, Registration
from tradeloop.serving.errors import (
    error_text,
    validation_details,
    validation_message,
    validation_messages,
)


def _errors(model: type[BaseModel], data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return raised.value.errors()


def test_a_too_short_password_is_worded_in_each_language_with_its_bound() -> None:
    errors = _errors(Registration, {"name": "Ayu", "email": "a@example.com", "password": "short"})
    assert validation_messages("id", errors) == ["Kata sandi: minimal 10 karakter"]
    assert validation_messages("en", errors) == ["Password: must have at least 10 characters"]


def test_bounds_choices_and_types_keep_their_parameters() -> None:
    errors = _errors(
        BotSettings,
        {"name": "", "market": "EURUSD", "strategy": "ma_crossover", "lot_size": 0,
         "risk_percent": 25, "timeframe": "H2", "sl_pips": "x", "extra": 1},
    )  # fmt: skip
    assert validation_messages("id", errors) == [
        "Nama: minimal 1 karakter",
        "Timeframe: harus salah satu dari 'M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1' atau 'W1'",
        "Ukuran lot: harus lebih dari 0",  # gt=0 shown as 0, not 0.0
        "Risiko per transaksi (%): maksimal 10",
        "Stop (pip): harus berupa bilangan bulat",
        "extra: bukan isian yang diterima di sini",
    ]
    assert validation_messages("en", errors)[1] == (
        "Timeframe: must be one of 'M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1' or 'W1'"
    )


def test_every_message_of_a_mapped_type_is_free_of_pydantic_english() -> None:
    class Form(BaseModel):
        count: int = Field(ge=1, le=5)
        ratio: float = Field(gt=0, lt=1)
        flag: bool
        day: str = Field(max_length=3)

    errors = _errors(Form, {"count": 9, "ratio": "abc", "flag": "maybe", "day": "Monday"})
    texts = validation_messages("id", errors)
    assert texts == [
        "count: maksimal 5",
        "ratio: harus berupa angka",
        "flag: harus ya atau tidak (true atau false)",
        "day: maksimal 3 karakter",
    ]
    assert not any("should" in text or "Input" in text for text in texts)


def test_the_unknown_time_zone_of_a_validator_has_its_own_key_in_both_languages() -> None:
    errors = _errors(ProfileUpdate, {"timezone": "Mars/Base"})
    assert errors[0]["type"] == "unknown_timezone"
    assert validation_messages("id", errors) == [
        "Zona waktu: zona waktu 'Mars/Base' tidak dikenal: pakai nama IANA seperti Asia/Jakarta"
    ]
    assert validation_messages("en", errors) == [
        "Time zone: unknown time zone 'Mars/Base': use an IANA name like Asia/Jakarta"
    ]
    assert "unknown time zone 'Mars/Base'" in errors[0]["msg"]  # Pydantic's own text: English


def test_a_null_for_a_kept_field_and_a_value_error_carrying_a_key() -> None:
    (error,) = _errors(BotUpdate, {"name": None})
    assert validation_messages("id", [error]) == [f"Nama: {translate('id', 'validation.not_null')}"]

    class KeyedError(ValueError):
        key, values = "validation.unknown_timezone", {"zone": "Bulan/Mare"}

    class Form(BaseModel):
        zone: str

        @field_validator("zone")
        @classmethod
        def _zone(cls, value: str) -> str:
            raise KeyedError("unknown zone")

    (error,) = _errors(Form, {"zone": "x"})
    assert validation_messages("id", [error]) == [
        "zone: zona waktu 'Bulan/Mare' tidak dikenal: pakai nama IANA seperti Asia/Jakarta"
    ]


def test_an_unmapped_value_error_is_generic_in_indonesian_and_pydantics_in_english() -> None:
    class Form(BaseModel):
        code: str

        @field_validator("code")
        @classmethod
        def _code(cls, value: str) -> str:
            raise ValueError("codes start with a letter")

    errors = _errors(Form, {"code": "1"})
    assert validation_messages("id", errors) == ["code: tidak valid"]
    assert validation_messages("en", errors) == ["code: codes start with a letter"]


def test_the_api_envelope_names_each_field_with_path_label_and_type() -> None:
    errors = _errors(Registration, {"name": "A", "email": "nope", "password": "x" * 10})
    details = validation_details("id", [{**e, "loc": ("body", *e["loc"])} for e in errors])
    assert details == [
        {
            "field": "email",
            "label": "Email",
            "message": "bukan alamat email yang valid",
            "type": "value_error",
        }
    ]
    assert validation_message("id", details) == (
        "isian tidak valid: Email: bukan alamat email yang valid"
    )


def test_a_keyed_user_error_is_shown_in_the_language_and_kept_in_english() -> None:
    error = NotFound("bot 7 not found", key="error.bot_not_found", values={"bot_id": 7})
    assert error_text("id", error) == "bot 7 tidak ditemukan"
    assert error_text("en", error) == "bot 7 not found"
    assert str(error) == error.message == "bot 7 not found"  # the CLI and the logs
    plain = UserError("no key: English everywhere")
    assert error_text("id", plain) == "no key: English everywhere"
    broken = UserError("kept", key="error.bot_not_found")  # a value the text needs is missing
    assert error_text("id", broken) == "kept"


def test_keyed_errors_cross_process_boundaries_intact() -> None:
    limited = TooManyRequests("too many", 30, key="error.too_many_sign_ins", values={"seconds": 30})
    copy = pickle.loads(pickle.dumps(limited))  # noqa: S301 (our own bytes)
    assert (type(copy), copy.message, copy.retry_after, copy.details) == (
        TooManyRequests, "too many", 30, [{"retry_after": 30}],
    )  # fmt: skip
    assert error_text("id", copy) == translate("id", "error.too_many_sign_ins", seconds=30)
    assert "30 detik" in error_text("id", copy)


def test_every_error_and_validation_key_exists_in_both_languages() -> None:
    for prefix in ("error.", "validation."):
        english = {k for k in catalogue("en") if k.startswith(prefix)}
        assert english == {k for k in catalogue("id") if k.startswith(prefix)}
        assert len(english) > 20
