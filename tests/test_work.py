"""Admission of CPU-heavy work: a few per user, a few at once, a bounded queue."""

from __future__ import annotations

import threading

import pytest

from tradeloop.core.errors import TooManyRequests
from tradeloop.services.work import WorkSlots


def test_a_user_gets_at_most_their_share_and_the_queue_is_bounded() -> None:
    slots = WorkSlots(workers=1, per_user=1, queue=1)
    release, entered = threading.Event(), threading.Event()

    def hold(user: int) -> None:
        with slots.slot(user):
            entered.set()
            release.wait(5)

    first = threading.Thread(target=hold, args=(1,))
    first.start()
    entered.wait(5)
    with (
        pytest.raises(TooManyRequests, match="you already have 1 imports or backtests running"),
        slots.slot(1),
    ):
        pass
    waiting = threading.Thread(target=hold, args=(2,))  # waits for the one worker
    waiting.start()
    while slots._waiting == 0:
        pass
    with pytest.raises(TooManyRequests, match="the server is busy") as raised, slots.slot(3):
        pass
    assert raised.value.retry_after == 5
    release.set()
    first.join(5)
    waiting.join(5)
    with slots.slot(1):  # everything released
        assert slots._by_user[1] == 1
