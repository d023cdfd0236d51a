"""The security page over HTTP: two-factor set-up with its QR code and recovery codes shown
once, the sign-in's second step (wrong code refused, a recovery code lets in), sessions with
revoke, and the audit log in the user's language."""

from __future__ import annotations

import html
import re

import pyotp
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, register
from tradeloop.i18n import translate


def csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def post(client: TestClient, path: str, form: str = "/security", **data: str):
    return client.post(
        path, data={"csrf_token": csrf(client, form), **data}, follow_redirects=False
    )


def sign_in(client: TestClient, email: str) -> object:
    return post(client, "/login", "/login", email=email, password=PASSWORD)


def text_of(response) -> str:
    return html.unescape(response.text)


def test_two_factor_set_up_then_sign_in_asks_for_the_code(client: TestClient) -> None:
    register(client, "ayu@example.com")
    assert sign_in(client, "ayu@example.com").headers["location"] == "/"
    page = client.get("/security")
    assert page.status_code == 200
    assert translate("id", "security.two_factor_off") in text_of(page)
    assert '<a href="/security"' in client.get("/profile").text

    assert post(client, "/security/two-factor").headers["location"] == "/security#two-factor"
    page = client.get("/security")
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]{32})<', page.text).group(1)
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg' in page.text
    wrong = post(client, "/security/two-factor/confirm", code="000000")
    assert wrong.status_code == 422
    assert translate("id", "error.two_factor_code") in text_of(wrong)
    confirmed = post(client, "/security/two-factor/confirm", code=pyotp.TOTP(secret).now())
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4})</code></li>", confirmed.text)
    assert len(codes) == 10
    page = client.get("/security")
    assert re.findall(r"<li><code>", page.text) == []  # shown once
    assert translate("id", "security.codes_left", n=10) in text_of(page)
    assert translate("id", "security.action.two_factor_enabled") in text_of(page)
    assert 'data-testid="current-session"' in page.text

    assert post(client, "/logout").headers["location"] == "/login?notice=auth.signed_out"
    signed = sign_in(client, "ayu@example.com")
    assert signed.headers["location"] == "/login/two-factor?next=/"
    pending = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("tl_pending="))
    assert "HttpOnly" in pending and "Path=/login" in pending
    assert "tl_session" not in client.cookies
    form = client.get("/login/two-factor")
    assert form.status_code == 200
    assert translate("id", "security.sign_in_code_title") in text_of(form)
    wrong = post(client, "/login/two-factor", "/login/two-factor", code="123456", next="/")
    assert wrong.status_code == 401
    assert translate("id", "error.two_factor_code") in text_of(wrong)
    right = post(client, "/login/two-factor", "/login/two-factor", code=codes[0], next="/journal")
    assert right.headers["location"] == "/journal"
    assert any(c.startswith("tl_session=") for c in right.headers.get_list("set-cookie"))
    assert client.get("/security").status_code == 200
    log = text_of(client.get("/security"))
    assert translate("id", "security.action.two_factor_failed") in log
    assert translate("id", "security.codes_left", n=9) in log


def test_the_second_step_without_a_right_password_goes_back_to_sign_in(
    client: TestClient,
) -> None:
    register(client, "ayu@example.com")
    page = client.get("/login/two-factor?next=/bots", follow_redirects=False)
    assert page.headers["location"] == "/login?next=/bots"
    posted = post(client, "/login/two-factor", "/login", code="123456", next="/bots")
    assert posted.headers["location"] == "/login?next=/bots"
    client.cookies.set("tl_pending", "forged.token.value", path="/login")
    posted = post(client, "/login/two-factor", "/login", code="123456")
    assert posted.headers["location"] == "/login?next=/"


def test_revoke_another_session_from_the_list(client: TestClient) -> None:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    with TestClient(client.app, base_url="http://127.0.0.1") as other:
        sign_in(other, "ayu@example.com")
        assert other.get("/security").status_code == 200
        page = client.get("/security")
        ids = re.findall(r'data-testid="session-row" data-session="(\d+)"', page.text)
        assert len(ids) == 2
        revoked = post(client, f"/security/sessions/{max(map(int, ids))}/revoke")
        assert revoked.headers["location"] == "/security?done=revoked#sessions"
        page = client.get("/security?done=revoked")
        assert translate("id", "security.session_revoked") in text_of(page)
        assert len(re.findall(r'data-testid="session-row"', page.text)) == 1
        assert other.get("/security", follow_redirects=False).headers["location"] == (
            "/login?next=/security"
        )
        assert translate("id", "security.action.session_revoked") in text_of(page)
