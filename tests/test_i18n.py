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
    assert [translate("id", f"status.{s.value}") for s in BotStatus] == ["Dijeda", "Aktif", "Error"]


def test_placeholders_are_filled_and_missing_keys_fail_loudly() -> None:
    assert translate("en", "dashboard.bots_running", running=1, total=3) == "1 of 3 running"
    assert translate("id", "dashboard.bots_running", running=1, total=3) == "1 dari 3 aktif"
    with pytest.raises(KeyError, match=r"nav\.nothing"):
        translate("en", "nav.nothing")


def test_language_choice_falls_back_to_indonesian() -> None:
    assert pick_language(None, "fr", "en") == "en"
    assert pick_language(None, None, None) == "id"
