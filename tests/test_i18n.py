"""Both catalogues are complete, and every label a template asks for exists in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tradeloop
from tradeloop.core.codes import BotAction, BotStatus
from tradeloop.i18n import LANGUAGES, catalogue, pick_language, translate

TEMPLATES = Path(tradeloop.__file__).parent / "web" / "templates"


def test_catalogues_have_the_same_keys_and_no_empty_text() -> None:
    english, indonesian = catalogue("en"), catalogue("id")
    assert set(english) == set(indonesian)
    assert all(value.strip() for value in [*english.values(), *indonesian.values()])


def test_every_literal_key_used_in_templates_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_]+\.[a-zA-Z_]+)'", template.read_text()))
    assert len(used) > 50
    for language in LANGUAGES:
        assert used - set(catalogue(language)) == set(), language


def test_every_stored_code_has_a_label() -> None:
    for language in LANGUAGES:
        for status in BotStatus:
            translate(language, f"status.{status.value}")
        for action in BotAction:
            translate(language, f"action.{action.value}")
    assert [translate("id", f"status.{s.value}") for s in BotStatus] == [
        "Dijeda", "Memulai", "Aktif", "Menghentikan", "Error",
    ]  # fmt: skip


def test_placeholders_are_filled_and_missing_keys_fail_loudly() -> None:
    assert translate("en", "dashboard.bots_running", running=1, total=3) == "1 of 3 running"
    assert translate("id", "dashboard.bots_running", running=1, total=3) == "1 dari 3 aktif"
    with pytest.raises(KeyError, match=r"nav\.nothing"):
        translate("en", "nav.nothing")


def test_language_choice_falls_back_to_indonesian() -> None:
    assert pick_language(None, "fr", "en") == "en"
    assert pick_language(None, None, None) == "id"


def test_sizes_are_shown_with_catalogue_units_in_steps_of_1024() -> None:
    from tradeloop.i18n import size_text

    assert size_text("en", 512) == "512 bytes" and size_text("id", 512) == "512 bita"
    assert size_text("id", 0) == "0 bita"
    assert size_text("en", 12_595) == "12.3 KB"
    assert size_text("id", 50_000) == "48.8 KB"
    assert size_text("en", 1_048_576) == "1.0 MB" and size_text("id", 2_097_152) == "2.0 MB"
    assert size_text("en", 1_258_291) == "1.2 MB"
    assert size_text("en", 3 * 1024**3) == "3.0 GB"
    assert size_text("en", 5 * 1024**4) == "5 120.0 GB"  # no unit past GB
    assert size_text("en", None) == "—"


def test_accept_language_picks_the_most_preferred_supported_language() -> None:
    from tradeloop.i18n import accepted_language

    assert accepted_language("en-US,en;q=0.9,id;q=0.8") == "en"
    assert accepted_language("fr-FR,id;q=0.7,en;q=0.5") == "id"
    assert accepted_language("en;q=0.2, id-ID;q=0.9") == "id"
    assert accepted_language("fr, de;q=bad") is None
    assert accepted_language("en;q=0") is None
    assert accepted_language(None) is None
