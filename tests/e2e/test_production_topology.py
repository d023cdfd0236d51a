"""The production topology of compose.yaml, run as processes (this machine has no container
engine): a PostgreSQL database; the image's entry point migrating it and serving the web app
in two processes with the web service's environment (secret key from the environment, no bot
supervisor); the bots service's ``tradeloop bots run`` through the same entry point. The
image's and compose's health checks answer; both web processes answer requests; a bot
started over the API is run by the ``bots run`` process alone; SIGTERM ends each cleanly.
And the files themselves: compose.yaml, the Dockerfile, .dockerignore."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.api.test_backtests import csv_bytes
from tests.conftest import bearer, register
from tests.e2e.conftest import _free_port, alive, children
from tradeloop import __version__
from tradeloop.store.db import make_engine, scratch_database
from tradeloop.store.models import Bot, PaperAccount

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
VARIABLE = re.compile(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}")  # the forms compose.yaml uses
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY")
BARS = 400  # the bot's replay: 400 bars, 0.01 s apart
SECONDS_PER_BAR = 0.01
CONNECTIONS = 24  # held open at once, each answered by one of the web processes
TIMEOUT = 120  # seconds for one request: generous on a machine busy with other tests


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """``value`` with compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}``
    replaced from ``env`` (a missing required one raises, as compose refuses to start)."""

    def one(found: re.Match[str]) -> str:
        name, operator, argument = found.groups()
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise KeyError(f"{name}: {argument}")
        return argument if operator == ":-" else ""

    return VARIABLE.sub(one, value)


def service_environment(service: str, env: Mapping[str, str]) -> dict[str, str]:
    """The environment compose gives ``service``'s container with ``env`` as its .env file
    (a name without a value is passed on only when set)."""
    given: dict[str, str] = {}
    for name, value in COMPOSE["services"][service]["environment"].items():
        if value is None:
            if name in env:
                given[name] = env[name]
        else:
            given[name] = interpolate(str(value), env)
    return given


def last_stage(dockerfile: str) -> str:
    """The runtime stage: the text after the last ``FROM``."""
    return re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[-1]


def image_health_check() -> str:
    """The shell command of the Dockerfile's HEALTHCHECK (continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found = re.search(r"^HEALTHCHECK .*? CMD (.+)$", joined, flags=re.MULTILINE)
    assert found, "no HEALTHCHECK ... CMD in the Dockerfile"
    return found.group(1)


def compose_health_check(service: str) -> list[str]:
    """The exec form of ``service``'s compose health check, without its ``CMD``."""
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD", test
    return test[1:]


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def connections_held(pids: set[int], port: int) -> dict[int, int]:
    """How many established TCP connections to local ``port`` each of ``pids`` holds."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        held[pid] = sum(1 for fd in fds.iterdir() if _link(fd) in inodes)
    return held


def _link(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed meanwhile
        return ""


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """``command`` running with ``env``, its output in ``log``; SIGKILLed if still running
    when the block ends (a test that failed half-way)."""
    with log.open("wb") as out:
        running = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield running
    finally:
        if running.poll() is None:
            for pid in children(running.pid):
                os.kill(pid, signal.SIGKILL)
            running.kill()
            running.wait(timeout=30)


def wait_healthy(base: str, web: subprocess.Popen, log: Path) -> None:
    for _ in range(1200):
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert web.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"the web service did not become healthy: {log.read_text()}")


def answer_together(
    base: str, headers: dict[str, str], port: int, workers: set[int]
) -> dict[int, int]:
    """``CONNECTIONS`` clients ask ``/api/me`` at once, each on a connection of its own kept
    open; every one answers 200. Returns how many of them each web process holds."""
    clients = [httpx.Client(base_url=base, timeout=TIMEOUT) for _ in range(CONNECTIONS)]
    start = threading.Barrier(CONNECTIONS)
    answers: list[int] = []

    def ask(client: httpx.Client) -> None:
        start.wait()
        answers.append(client.get("/api/me", headers=headers).status_code)

    try:
        threads = [threading.Thread(target=ask, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200] * CONNECTIONS
        held = connections_held(workers, port)
    finally:
        for client in clients:
            client.close()
    assert sum(held.values()) == CONNECTIONS, held  # each connection in one web process
    return held


@pytest.fixture
def database(pg_server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (the compose file's db service), dropped afterwards."""
    yield from scratch_database(pg_server_url, "tradeloop_topology")


def test_the_compose_topology_as_processes(database: str, tmp_path: Path) -> None:
    """Web (entry point: migrate, then two server processes, no bots), then one bot
    supervisor; health checks, both web processes answering, the bot run by the supervisor
    alone, and a clean SIGTERM for each."""
    secret = secrets.token_urlsafe(48)
    dot_env = {"POSTGRES_PASSWORD": "unused-here", "TRADELOOP_SECRET_KEY": secret}
    web_env = service_environment("web", dot_env)
    bots_env = service_environment("bots", dot_env)
    # compose's database address names the db service; here it is the scratch database
    url = make_url(web_env["TRADELOOP_DATABASE_URL"])
    assert (url.host, url.port, url.database, url.password) == (
        "db", 5432, "tradeloop", "unused-here",
    )  # fmt: skip
    port = _free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TRADELOOP_")}
    base_env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONUNBUFFERED": "1", "COLUMNS": "200",
        # the image's ENV, the data directory and port moved for this machine
        "TRADELOOP_DATA_DIR": str(tmp_path / "data"), "TRADELOOP_WEB_PORT": str(port),
    }  # fmt: skip
    web_env = {**base_env, **web_env, "TRADELOOP_DATABASE_URL": database}
    bots_env = {**base_env, **bots_env, "TRADELOOP_DATABASE_URL": database}
    assert web_env["TRADELOOP_SERVE_BOTS"] == "false" and web_env["TRADELOOP_WEB_WORKERS"] == "2"
    assert web_env["TRADELOOP_SECRET_KEY"] == bots_env["TRADELOOP_SECRET_KEY"] == secret
    assert web_env["TRADELOOP_SECURE_COOKIES"] == "true"
    base = f"http://127.0.0.1:{port}"
    engine = make_engine(database)
    timings: dict[str, float] = {}
    began = time.monotonic()
    web_log, bots_log = tmp_path / "web.log", tmp_path / "bots.log"
    try:
        with process(["sh", str(ENTRYPOINT)], web_env, web_log) as web:  # the image's CMD
            wait_healthy(base, web, web_log)
            timings["migrated and serving"] = time.monotonic() - began
            output = web_log.read_text()
            assert "database at revision" in output and "2 processes" in output, output
            assert httpx.get(f"{base}/api/health").json() == {
                "status": "ok", "version": __version__, "database": True,
            }  # fmt: skip
            checks = {  # the image's HEALTHCHECK and compose's web health check
                "image": ["sh", "-c", image_health_check()],
                "compose": compose_health_check("web"),
            }
            for name, check in checks.items():
                ran = subprocess.run(check, env=web_env, capture_output=True, timeout=30)
                assert ran.returncode == 0, (name, ran.stderr)

            # two web processes (uvicorn's spawned workers), both answering
            workers = {pid for pid in children(web.pid) if "spawn_main" in cmdline(pid)}
            assert len(workers) == 2, {pid: cmdline(pid) for pid in children(web.pid)}
            with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
                register(client, "ayu@example.com")  # type: ignore[arg-type]
                headers = bearer(client, "ayu@example.com")  # type: ignore[arg-type]
            # closed: only the clients below hold connections while they are counted
            served: dict[int, int] = dict.fromkeys(workers, 0)
            for _ in range(5):  # the kernel hands each connection to either process
                for pid, count in answer_together(base, headers, port, workers).items():
                    served[pid] += count
                if all(served.values()):
                    break
            assert all(served.values()), served
            timings["concurrent requests"] = time.monotonic() - began

            with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
                dataset = client.post(
                    "/api/datasets", headers=headers,
                    files={"file": ("EURUSD_H1.csv", csv_bytes(BARS), "text/csv")},
                )  # fmt: skip
                assert dataset.status_code == 201, dataset.text
                bot = client.post(
                    "/api/bots", headers=headers,
                    json={"name": "Paper", "market": "EURUSD", "strategy": "ma_crossover",
                          "strategy_params": {"fast_period": 5, "slow_period": 20}},
                ).json()  # fmt: skip
                started = client.post(
                    f"/api/bots/{bot['id']}/start", headers=headers,
                    json={"dataset_id": dataset.json()["id"], "seconds_per_bar": SECONDS_PER_BAR},
                )  # fmt: skip
                assert started.status_code == 200 and started.json()["status"] == "starting"

                def look() -> tuple[str, str | None, int]:
                    with engine.connect() as connection:
                        status, holder, bar = connection.execute(
                            select(Bot.status, Bot.lease_holder, PaperAccount.bar_index)
                            .outerjoin(PaperAccount, PaperAccount.bot_id == Bot.id)
                            .where(Bot.id == bot["id"])
                        ).one()
                    return status, holder, -1 if bar is None else bar

                # no web process takes it up: 3 s is 6 polls of a served supervisor
                time.sleep(3.0)
                assert look() == ("starting", None, -1)
                shown = client.get(f"/api/bots/{bot['id']}", headers=headers).json()
                assert shown["status"] == "starting"

                command = COMPOSE["services"]["bots"]["command"]
                with process(["sh", str(ENTRYPOINT), *command], bots_env, bots_log) as bots:
                    holder = ""
                    for _ in range(600):
                        found = re.search(r"supervisor (\S+) running bots", bots_log.read_text())
                        if found:
                            holder = found.group(1)
                            break
                        assert bots.poll() is None, bots_log.read_text()
                        time.sleep(0.05)
                    assert holder, bots_log.read_text()
                    samples = []
                    for _ in range(1200):  # the replay advances under that holder to its end
                        samples.append(look())
                        if samples[-1][0] == "paused":
                            break
                        time.sleep(0.05)
                    timings["bot replayed"] = time.monotonic() - began
                    assert samples[-1][0] == "paused", (samples[-5:], bots_log.read_text())
                    assert {h for _s, h, _b in samples} <= {holder, None}, samples
                    running = [b for s, h, b in samples if s == "running" and h == holder]
                    bars = [b for _s, _h, b in samples]
                    assert len(set(running)) >= 5, samples  # seen at several bars
                    assert bars == sorted(bars) and bars[-1] == BARS - 1, bars
                    fills = client.get(f"/api/bots/{bot['id']}/fills", headers=headers).json()
                    entries = [f for f in fills if f["reason"] == "entry"]
                    assert entries and len(fills) == 2 * len(entries)

                    bots.send_signal(signal.SIGTERM)  # docker stop
                    assert bots.wait(timeout=30) == 0, bots_log.read_text()
            web.send_signal(signal.SIGTERM)
            assert web.wait(timeout=60) == 0, web_log.read_text()
            timings["stopped"] = time.monotonic() - began
        for _ in range(100):  # the web processes end with their parent
            if not alive(workers):
                break
            time.sleep(0.1)
        assert not alive(workers)
        for name, check in checks.items():  # nothing answers: both checks now fail
            ran = subprocess.run(check, env=web_env, capture_output=True, timeout=30)
            assert ran.returncode != 0, name
    finally:
        engine.dispose()
    print("timings (s from the start):", {k: round(v, 1) for k, v in timings.items()})


def test_compose_file_and_dockerfile_describe_that_topology() -> None:
    """compose.yaml: PostgreSQL 16 with pg_isready, two web processes without bots, one bot
    supervisor, no secret in the file; the Dockerfile: python:3.11-slim, the postgres extra
    only, a non-root user, /data, port 8000, a health check on /api/health."""
    services = COMPOSE["services"]
    assert set(services) == {"db", "web", "bots"}
    db, web, bots = services["db"], services["web"], services["bots"]

    assert db["image"] == "postgres:16"
    assert "pg_isready" in db["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "ports" not in db  # reached by the other services only

    for service in (web, bots):
        assert service["image"] == "tradeloop:local" and service["build"] == "."
        assert "deploy" not in service and "scale" not in service  # one of each
        assert service["volumes"] == ["tradeloop-data:/data"]
    assert "command" not in web  # the image's CMD: migrate, then serve
    assert web["environment"]["TRADELOOP_WEB_WORKERS"] == "2"
    assert web["environment"]["TRADELOOP_SERVE_BOTS"] == "false"
    assert web["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert web["ports"] == ["127.0.0.1:${TRADELOOP_HTTP_PORT:-8000}:8000"]
    assert "/api/health" in " ".join(web["healthcheck"]["test"])
    assert bots["command"] == ["tradeloop", "bots", "run"]
    assert bots["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert "TRADELOOP_SERVE_BOTS" not in bots["environment"]
    supervisors = [n for n, s in services.items() if s.get("command") == bots["command"]]
    assert supervisors == ["bots"]

    # no secret written in the file: each comes from a required variable
    for name, service in services.items():
        for key, value in service["environment"].items():
            if SECRET_NAME.search(key):
                assert value is None or re.fullmatch(rf"\$\{{{key}:\?[^}}]+\}}", value), (
                    name, key, value,
                )  # fmt: skip
    for service in (web, bots):
        url = service["environment"]["TRADELOOP_DATABASE_URL"]
        assert make_url(interpolate(url, {"POSTGRES_PASSWORD": "p4ss"})).password == "p4ss"
        with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
            interpolate(url, {})
        with pytest.raises(KeyError, match="TRADELOOP_SECRET_KEY"):
            interpolate(service["environment"]["TRADELOOP_SECRET_KEY"], {})
    assert (
        service_environment("web", {"TRADELOOP_SECRET_KEY": "k", "POSTGRES_PASSWORD": "p"})[
            "TRADELOOP_SECURE_COOKIES"
        ]
        == "true"
    )

    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert stages == ["python:3.11-slim", "python:3.11-slim"]
    runtime = last_stage(DOCKERFILE)
    installs = re.findall(r"pip (?:wheel|install) .*", DOCKERFILE)
    assert installs and all('".[postgres]"' in i or '"tradeloop[postgres]"' in i for i in installs)
    assert "dev" not in " ".join(installs)
    assert re.search(r"^USER 10001:10001$", runtime, flags=re.MULTILINE)
    assert "useradd --uid 10001" in runtime and "chown 10001:10001 /data" in runtime
    assert 'VOLUME ["/data"]' in runtime and "TRADELOOP_DATA_DIR=/data" in runtime
    assert re.search(r"^EXPOSE 8000$", runtime, flags=re.MULTILINE)
    check = image_health_check()
    assert "urllib.request" in check and "/api/health" in check and "curl" not in check
    assert 'ENTRYPOINT ["tradeloop-entrypoint"]' in runtime and 'CMD ["serve"]' in runtime
    script = ENTRYPOINT.read_text()
    assert "tradeloop db upgrade" in script
    assert (
        'exec tradeloop serve --host 0.0.0.0 --port "${TRADELOOP_WEB_PORT:-8000}" \\\n'
        '        --workers "${TRADELOOP_WEB_WORKERS:-2}"'
    ) in script
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0
    assert os.access(ENTRYPOINT, os.X_OK)

    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "data", ".git", "docs/screenshots", ".env", "**/__pycache__"} <= ignored
    copied = {"pyproject.toml", "README.md", "src", "migrations", "deploy/entrypoint.sh"}
    assert all(f"COPY {name} " in DOCKERFILE or f" {name} " in DOCKERFILE for name in copied)
    assert not ignored & (copied | {"deploy"})
