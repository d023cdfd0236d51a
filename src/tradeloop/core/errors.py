"""Errors a user can cause. Interfaces turn them into a 4xx envelope or CLI exit code 2.

``message`` is English (the CLI and the logs show it). An error can also carry a catalogue
``key`` and the ``values`` its text needs: the API envelope and the pages then show that
message in the user's language (``tradeloop.serving.errors.error_text``).
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Base for problems the user can fix; ``status`` is the HTTP status to answer with."""

    status: int = 400

    def __init__(
        self,
        message: str,
        details: list[Any] | None = None,
        key: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.key = key
        self.values = values or {}

    def __reduce__(self) -> tuple[Any, ...]:  # crosses from a worker process intact
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(kind: type[UserError], state: dict[str, Any]) -> UserError:
    """An error of ``kind`` with the attributes it had (whatever its ``__init__`` takes)."""
    error = kind.__new__(kind)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class InvalidInput(UserError):
    """A value is missing, malformed or out of bounds."""

    status = 422


class NotFound(UserError):
    """The object does not exist or belongs to someone else."""

    status = 404


class Conflict(UserError):
    """The request clashes with stored data (e.g. a duplicate email)."""

    status = 409


class Unauthorized(UserError):
    """Not signed in, or the credentials are wrong."""

    status = 401


class Forbidden(UserError):
    """Signed in but not allowed (e.g. a missing CSRF token)."""

    status = 403


class TooLarge(UserError):
    """The body or file is larger than allowed."""

    status = 413


class TooManyRequests(UserError):
    """A rate limit was hit; ``retry_after`` says in how many seconds to try again."""

    status = 429

    def __init__(
        self,
        message: str,
        retry_after: int,
        key: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, [{"retry_after": retry_after}], key, values)
        self.retry_after = retry_after


class Unavailable(UserError):
    """The server could not do the work now (a worker stopped); trying again may work."""

    status = 503


def first_problem(errors: list[Any]) -> tuple[str, str]:
    """The first of a Pydantic validation's ``errors()``: its field (dotted, "" for the whole
    model) and its message without Pydantic's "Value error, " prefix."""
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"])
    return field, str(first["msg"]).removeprefix("Value error, ")
