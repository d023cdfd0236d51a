"""The lockout test's figures: an attacker's 1,000 wrong passwords from other addresses against
two server processes, the owner signing in from their own browser between every 100
(``tests/e2e/test_lockout_two_workers.py``'s ``run_lockout``)."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from audits.report import Section


def run() -> list[Section]:
    """The figures."""
    from tests.e2e.test_lockout_two_workers import ATTEMPTS, run_lockout

    section = Section("lockout: 1,000 wrong passwords, two worker processes")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="audit-lockout-") as folder:
        found = run_lockout(Path(folder))
    owner: dict[int, int] = found["owner"]  # type: ignore[assignment]
    answers: dict[int, int] = found["answers"]  # type: ignore[assignment]
    seconds = float(found["seconds"])  # type: ignore[arg-type]
    sign_ins = sum(owner.values())
    allowed = answers.get(401, 0)
    # 5 free failures, then each further one waits 1 s, 2 s, 4 s…: the most a run this long lets in
    bound = 5 + math.ceil(math.log2(seconds + 1)) + 1
    section.add(
        "owner's sign-ins answered 303 (signed in)",
        f"{owner.get(303, 0)} of {sign_ins}",
        f"all {ATTEMPTS // 100}",
        owner == {303: ATTEMPTS // 100},
    )
    section.add(
        "attacker's answers",
        ", ".join(f"{status}: {n:,}" for status, n in sorted(answers.items())),
        f"{ATTEMPTS:,} (401/429 only)",
        set(answers) <= {401, 429} and sum(answers.values()) == ATTEMPTS,
    )
    section.add("  wrong passwords checked (401)", allowed, f"≤ {bound}", allowed <= bound)
    section.add("  refused, wait first (429)", answers.get(429, 0))
    section.add(
        "account's counted failures (one count for both workers)",
        found["account_hits"],
        f"= 401s ({allowed})",
        found["account_hits"] == allowed,
    )
    section.add("failed sign-ins in the audit log", found["audited_failures"], f"= {allowed}",
                found["audited_failures"] == allowed)  # fmt: skip
    section.add("worker processes", found["workers"], "2", found["workers"] == 2)
    section.add("seconds (attack / in all)", f"{seconds:,.0f} / {time.monotonic() - started:,.0f}")
    section.notes.append(
        "attacker: 8 clients at once, each guess from its own X-Forwarded-For address "
        "(127.0.0.1 trusted as the proxy); owner: a browser with its device cookie"
    )
    return [section]
