"""Two-factor sign-in on both databases: TOTP codes made by pyotp at fixed times (±1 step
accepted, ±2 refused, a code never twice), single-use recovery codes, turning it off (password
and code), the secret encrypted at rest, and the pending sign-in token."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from cryptography.fernet import MultiFernet
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tradeloop.core.errors import Conflict, InvalidInput, Unauthorized
from tradeloop.mentor.notes import derived_key, notes_cipher
from tradeloop.security import SESSION_KIND, hash_password, issue_token
from tradeloop.services import two_factor
from tradeloop.store import users
from tradeloop.store.db import make_session_factory
from tradeloop.store.models import RecoveryCode, User

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 3, 10, 0, 10, tzinfo=UTC)  # 10 s into a 30 s step
STEP = timedelta(seconds=30)
CODE = re.compile(r"[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}")
_HASH = hash_password(PASSWORD)  # argon2 once for the module
KEY = "a signing key of at least 32 bytes"


@pytest.fixture
def cipher() -> MultiFernet:
    return notes_cipher(derived_key("a test secret key"), [])


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as db:
        yield db


def add_user(session: Session, email: str = "ayu@example.com") -> User:
    user = users.add(session, name="Ayu", email=email, password_hash=_HASH, language="en",
                     timezone="UTC")  # fmt: skip
    session.commit()
    return user


def enrolled(session: Session, user: User, cipher: MultiFernet) -> tuple[pyotp.TOTP, list[str]]:
    """Two-factor turned on for ``user`` with a code of the step before NOW."""
    enrolment = two_factor.begin(session, user, cipher)
    totp = pyotp.TOTP(enrolment.secret)
    codes = two_factor.confirm(session, user, cipher, totp.at(NOW - STEP), NOW - STEP)
    session.commit()
    return totp, codes


def test_begin_stores_the_secret_encrypted_and_confirm_turns_it_on(
    session: Session, cipher: MultiFernet
) -> None:
    user = add_user(session)
    enrolment = two_factor.begin(session, user, cipher)
    session.commit()
    assert re.fullmatch(r"[A-Z2-7]{32}", enrolment.secret)
    assert enrolment.uri == (
        f"otpauth://totp/tradeloop:ayu%40example.com?secret={enrolment.secret}&issuer=tradeloop"
    )
    assert enrolment.qr_svg().startswith("data:image/svg+xml;charset=utf-8,%3Csvg")
    stored = session.execute(text("SELECT totp_secret, totp_enabled_at FROM users")).one()
    assert stored[1] is None and not two_factor.is_enabled(user)
    assert enrolment.secret not in stored[0] and stored[0].startswith("gAAAA")  # Fernet
    assert two_factor.pending(user, cipher) == enrolment
    totp = pyotp.TOTP(enrolment.secret)
    assert not two_factor.check(session, user, cipher, totp.at(NOW), NOW)  # not on yet

    with pytest.raises(InvalidInput) as wrong:
        two_factor.confirm(session, user, cipher, totp.at(NOW + 2 * STEP), NOW)
    assert wrong.value.key == "error.two_factor_code"
    assert wrong.value.details == [{"field": "code"}]
    codes = two_factor.confirm(session, user, cipher, totp.at(NOW), NOW)
    session.commit()
    assert two_factor.is_enabled(user) and user.totp_enabled_at == NOW
    assert two_factor.pending(user, cipher) is None
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(CODE.fullmatch(code) for code in codes)
    hashes = set(session.scalars(select(RecoveryCode.code_hash)))
    assert hashes == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert two_factor.recovery_codes_left(session, user) == 10
    with pytest.raises(Conflict) as again:
        two_factor.begin(session, user, cipher)
    assert again.value.key == "error.two_factor_on"


def test_a_code_within_one_step_is_accepted_once_and_two_steps_away_never(
    session: Session, cipher: MultiFernet
) -> None:
    user = add_user(session)
    enrolment = two_factor.begin(session, user, cipher)
    totp = pyotp.TOTP(enrolment.secret)
    two_factor.confirm(session, user, cipher, totp.at(NOW - 10 * STEP), NOW - 10 * STEP)
    session.commit()

    def check(at: datetime) -> bool:
        result = two_factor.check(session, user, cipher, totp.at(at), NOW)
        session.commit()
        return result

    assert not check(NOW - 2 * STEP)
    assert not check(NOW + 2 * STEP)
    assert check(NOW - STEP)  # the edges of the window: one step either side
    assert check(NOW)
    assert not check(NOW)  # the same code again
    assert not check(NOW - STEP)  # an older code of the window, after a newer one
    assert check(NOW + STEP)
    assert not check(NOW + STEP)
    # a code typed with spaces works; the next step (NOW + 2 steps, seen from NOW + 1 step)
    later = totp.at(NOW + 2 * STEP)
    assert two_factor.check(session, user, cipher, f" {later[:3]} {later[3:]} ", NOW + STEP)
    assert not two_factor.check(session, user, cipher, "12345", NOW)  # not a code's shape


def test_only_one_of_two_simultaneous_requests_with_one_code_gets_in(
    engine: Engine, cipher: MultiFernet
) -> None:
    factory = make_session_factory(engine)
    with factory() as db:
        user = add_user(db)
        totp, _ = enrolled(db, user, cipher)
        user_id = user.id
    code = totp.at(NOW)
    start, results = threading.Barrier(2), []

    def attempt() -> None:
        with factory() as db:
            someone = db.get(User, user_id)
            db.commit()
            start.wait()
            results.append(two_factor.check(db, someone, cipher, code, NOW))
            db.commit()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]


def test_each_recovery_code_works_once_and_only_for_its_owner(
    session: Session, cipher: MultiFernet
) -> None:
    ayu = add_user(session)
    budi = add_user(session, "budi@example.com")
    _, codes = enrolled(session, ayu, cipher)
    enrolled(session, budi, cipher)
    assert not two_factor.check(session, budi, cipher, codes[0], NOW)  # Ayu's code
    assert two_factor.check(session, ayu, cipher, codes[0].upper(), NOW)  # case and dash
    session.commit()
    assert not two_factor.check(session, ayu, cipher, codes[0], NOW)
    assert two_factor.check(session, ayu, cipher, codes[1].replace("-", ""), NOW)
    session.commit()
    assert two_factor.recovery_codes_left(session, ayu) == 8
    assert two_factor.recovery_codes_left(session, budi) == 10
    assert not two_factor.check(session, ayu, cipher, "zzzz-zzzz", NOW)


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(
    session: Session, cipher: MultiFernet
) -> None:
    user = add_user(session)
    totp, old = enrolled(session, user, cipher)
    with pytest.raises(InvalidInput) as wrong:
        two_factor.new_recovery_codes(session, user, cipher, "000000", NOW)
    assert wrong.value.key == "error.two_factor_code"
    new = two_factor.new_recovery_codes(session, user, cipher, totp.at(NOW), NOW)
    session.commit()
    assert set(new).isdisjoint(old) and len(new) == 10
    assert not two_factor.check(session, user, cipher, old[2], NOW)
    assert two_factor.check(session, user, cipher, new[2], NOW)


def test_turning_off_needs_the_password_and_a_code(session: Session, cipher: MultiFernet) -> None:
    user = add_user(session)
    totp, codes = enrolled(session, user, cipher)
    with pytest.raises(InvalidInput) as wrong_password:
        two_factor.disable(session, user, cipher, "not my password", codes[0], NOW)
    assert wrong_password.value.key == "error.wrong_password"
    assert wrong_password.value.details == [{"field": "password"}]
    session.rollback()
    assert two_factor.recovery_codes_left(session, user) == 10  # no code used up
    with pytest.raises(InvalidInput) as wrong_code:
        two_factor.disable(session, user, cipher, PASSWORD, "123456", NOW)
    assert wrong_code.value.details == [{"field": "code"}]
    session.rollback()
    assert two_factor.is_enabled(user)

    two_factor.disable(session, user, cipher, PASSWORD, totp.at(NOW), NOW)
    session.commit()
    assert not two_factor.is_enabled(user)
    row = session.execute(text("SELECT totp_secret, totp_enabled_at FROM users")).one()
    assert tuple(row) == (None, None)
    assert session.scalar(select(RecoveryCode.id)) is None
    assert not two_factor.check(session, user, cipher, codes[1], NOW)
    with pytest.raises(Conflict) as off:
        two_factor.disable(session, user, cipher, PASSWORD, totp.at(NOW + STEP), NOW)
    assert off.value.key == "error.two_factor_off"


def test_confirm_without_a_begun_set_up_and_cancel(session: Session, cipher: MultiFernet) -> None:
    user = add_user(session)
    with pytest.raises(Conflict) as not_started:
        two_factor.confirm(session, user, cipher, "123456", NOW)
    assert not_started.value.key == "error.two_factor_not_started"
    two_factor.begin(session, user, cipher)
    two_factor.cancel(session, user)
    session.commit()
    assert user.totp_secret is None and two_factor.pending(user, cipher) is None


def test_the_pending_token_names_the_user_and_stamp_and_nothing_else_passes() -> None:
    token = two_factor.pending_token(KEY, 7, "stamp")
    assert two_factor.read_pending(KEY, token) == (7, "stamp")
    with pytest.raises(Unauthorized):
        two_factor.read_pending("another secret of thirty-two bytes", token)
    session_token = issue_token(KEY, 7, "stamp", SESSION_KIND, timedelta(minutes=5))
    with pytest.raises(Unauthorized):
        two_factor.read_pending(KEY, session_token)
    expired = issue_token(KEY, 7, "stamp", two_factor.PENDING_KIND, timedelta(seconds=-1))
    with pytest.raises(Unauthorized) as late:
        two_factor.read_pending(KEY, expired)
    assert late.value.key == "error.token_expired"
    assert timedelta(minutes=5) == two_factor.PENDING_LIFETIME
