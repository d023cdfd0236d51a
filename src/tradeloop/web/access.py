"""Who may see a page: the signed-in user, and form posts checked for their CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from tradeloop.services.accounts import User
from tradeloop.serving.deps import optional_user
from tradeloop.web.render import check_csrf

MaybeUser = Annotated[User | None, Depends(optional_user)]
FormText = Annotated[str, Form(max_length=4096)]


class SignInRequired(Exception):
    """Raised by page handlers when nobody is signed in; answered with a redirect to /login."""


def require_user(user: User | None) -> User:
    """The signed-in user; pages without one redirect to the sign-in page."""
    if user is None:
        raise SignInRequired
    return user


def checked_form(request: Request, csrf_token: FormText = "") -> None:
    """Refuse a form whose CSRF token does not match the cookie."""
    check_csrf(request, csrf_token)


def signed_in_form(request: Request, user: MaybeUser, csrf_token: FormText = "") -> User:
    """The signed-in user of a form post with a valid CSRF token."""
    signed_in = require_user(user)
    check_csrf(request, csrf_token)
    return signed_in


CheckedForm = Depends(checked_form)
FormUser = Annotated[User, Depends(signed_in_form)]
