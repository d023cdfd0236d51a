"""A damaged XLSX export is a bad file (422), never a server error: corrupt deflate data, an
unknown compression method, an encryption flag, a shared string that is not there, cut XML.
Found by ``make audit``'s inputs section (byte flips of the tests' XLSX fixtures answered 500:
zlib.error, NotImplementedError, RuntimeError, EOFError, ValueError, IndexError)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, in_english, register
from tests.journal.metatrader_fixtures import mt5_xlsx
from tradeloop.journal.importers import import_file
from tradeloop.market.errors import DataError

SHEET = "xl/worksheets/sheet1.xml"


def _records(data: bytes, name: str) -> tuple[int, int, int]:
    """Offsets of ``name``'s local header, its data and its central directory record."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    local = info.header_offset
    name_length, extra_length = struct.unpack("<HH", data[local + 26 : local + 30])
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    return local, local + 30 + name_length + extra_length, central


def garbage_deflate(data: bytes) -> bytes:
    _, start, _ = _records(data, SHEET)
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).compress_size
    return data[:start] + b"\xff" * size + data[start + size :]


def unknown_method(data: bytes) -> bytes:
    local, _, central = _records(data, SHEET)
    buffer = bytearray(data)
    buffer[local + 8 : local + 10] = buffer[central + 10 : central + 12] = struct.pack("<H", 99)
    return bytes(buffer)


def encrypted(data: bytes) -> bytes:
    local, _, central = _records(data, "[Content_Types].xml")
    buffer = bytearray(data)
    buffer[local + 6] |= 1
    buffer[central + 8] |= 1
    return bytes(buffer)


def _rezipped(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, change(name, source.read(name)))
    return out.getvalue()


def missing_shared_string(data: bytes) -> bytes:
    def change(name: str, content: bytes) -> bytes:
        if name != SHEET:
            return content
        # the title cell made a shared string (index 99999) in a workbook that has none
        title = rb't="inlineStr"><is><t>[^<]*</t></is>'
        return re.sub(title, b't="s"><v>99999</v>', content, count=1)

    return _rezipped(data, change)


def cut_xml(data: bytes) -> bytes:
    return _rezipped(data, lambda name, content: content[: len(content) // 2]
                     if name == SHEET else content)  # fmt: skip


DAMAGE = [garbage_deflate, unknown_method, encrypted, missing_shared_string, cut_xml]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda damage: damage.__name__)
def test_a_damaged_xlsx_is_a_bad_file(damage: Callable[[bytes], bytes]) -> None:
    data = damage(mt5_xlsx("en"))
    with pytest.raises(DataError) as raised:
        import_file(data, tz="UTC")
    assert raised.value.key == "journal.error.bad_xlsx"


@pytest.mark.parametrize("damage", [garbage_deflate, unknown_method, encrypted],
                         ids=lambda damage: damage.__name__)  # fmt: skip
def test_the_import_route_answers_422_for_it(client: TestClient, damage: Callable) -> None:
    register(client, "ayu@example.com")
    headers = in_english(client, bearer(client, "ayu@example.com"))
    answer = client.post(
        "/api/journal/imports",
        headers=headers,
        data={"tz": "UTC"},
        files={"file": ("report.xlsx", damage(mt5_xlsx("en")), "application/octet-stream")},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith("cannot read the XLSX file")
