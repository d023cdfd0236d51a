"""``tradeloop`` command: serve, database, users, configuration, demo data, version.

Bad arguments and user errors print one line to stderr and exit with code 2.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from tradeloop import __version__
from tradeloop.cli.backtest import backtest_command, replay_command
from tradeloop.cli.console import out
from tradeloop.cli.database import register as register_db_lifecycle
from tradeloop.cli.export import register as register_user_export
from tradeloop.cli.habits import habits_app
from tradeloop.cli.mentor import mentor_app
from tradeloop.cli.optimize import optimize_command
from tradeloop.core.errors import InvalidInput, UserError

if TYPE_CHECKING:
    from tradeloop.config import Settings
    from tradeloop.services.database import Database

app = typer.Typer(
    name="tradeloop",
    help="tradeloop: bots and backtests, trading habits, and a mentor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Create, migrate and reset the database.", no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(config_app, name="config")
app.add_typer(demo_app, name="demo")
app.command("backtest")(backtest_command)
app.command("optimize")(optimize_command)
bots_app = typer.Typer(help="Strategy bots on the paper broker.", no_args_is_help=True)
bots_app.command("replay")(replay_command)


@bots_app.command("run")
def bots_run_command() -> None:
    """Run every running paper bot whose lease this process can take, until SIGTERM or
    Ctrl-C (the supervisor ``tradeloop serve`` will also hold)."""
    import asyncio
    import signal

    from tradeloop.services.live_bots import LiveContext
    from tradeloop.services.paper_bots import Supervisor

    database = _ready_database()
    settings = _settings()
    lease = settings.bot_lease_seconds

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        supervisor = Supervisor(database.sessions, lease, live=LiveContext.of(settings))
        out.print(f"supervisor {supervisor.holder} running bots (Ctrl-C stops)")
        await supervisor.run(stop)

    asyncio.run(main())


app.add_typer(bots_app, name="bots")
app.add_typer(habits_app, name="habits")
app.add_typer(mentor_app, name="mentor")
# Commands import what they use when they run: `tradeloop version` loads neither pandas nor
# SQLAlchemy.


def _settings() -> Settings:
    from pydantic import ValidationError

    from tradeloop.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        raise InvalidInput(
            f"bad TRADELOOP_ setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}"
        ) from exc


def _database() -> Database:
    from tradeloop.services.database import open_database

    return open_database(_settings())


def _ready_database() -> Database:
    """The database, refused with the command to run when it is not migrated to this version."""
    database = _database()
    database.require_current()
    return database


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="server processes sharing the port and database")
    ] = 1,
) -> None:
    """Serve the web app and API."""
    import uvicorn

    settings = _settings()
    _ready_database()
    database = settings.masked()["database_url"]
    out.print(
        f"tradeloop {__version__} on http://{host}:{port}  (database: {database}, "
        f"{workers} process{'es' if workers > 1 else ''})"
    )
    from tradeloop.serving import observability

    observability.prepare_workers(workers)  # the processes' metrics summed (README: Metrics)
    options = {
        "host": host, "port": port, "log_level": "info", "proxy_headers": False,
        "timeout_graceful_shutdown": 5,  # live-update streams end with the server
        # JSON (or text) lines on stderr; the app writes the access line, by route template
        "log_config": observability.log_config(settings), "access_log": False,
        # a worker answers the supervisor's pings once it has imported the CLI (seconds on a
        # busy machine): uvicorn's 5 s killed and restarted them for ever
        "timeout_worker_healthcheck": 60,
    }  # fmt: skip
    if workers == 1:
        from tradeloop.app import create_app

        uvicorn.run(create_app(settings, owns_workers=True), **options)  # type: ignore[arg-type]
    else:  # each process builds its app from the same environment
        uvicorn.run("tradeloop.app:served_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]


@config_app.command("show")
def config_show() -> None:
    """Print the effective settings with secrets masked."""
    from rich.table import Table

    table = Table("setting", "value", title="tradeloop settings")
    for name, value in _settings().masked().items():
        table.add_row(name, str(value))
    out.print(table)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Migrate the database up (creates it when missing)."""
    out.print(f"database at revision {_database().upgrade(revision)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="target revision ('base' drops all)")] = "-1",
) -> None:
    """Migrate the database down by one revision, or to REVISION."""
    out.print(f"database at revision {_database().downgrade(revision) or 'base (empty)'}")


@db_app.command("reset")
def db_reset(
    force: Annotated[bool, typer.Option("--force", help="really delete every row")] = False,
) -> None:
    """Drop every table and migrate up again. Needs --force."""
    if not force:
        raise InvalidInput("db reset deletes all data: add --force to confirm")
    out.print(f"database reset, at revision {_database().reset()}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision."""
    out.print(_database().revision() or "base (empty)")


register_db_lifecycle(db_app)  # backup, restore, copy, prune
register_user_export(user_app)  # user export EMAIL OUT.zip


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="sign-in email")],
    name: Annotated[str, typer.Option(help="display name")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="at least 10 characters"
        ),
    ],
    language: Annotated[str, typer.Option(help="id or en")] = "id",
    admin: Annotated[
        bool,
        typer.Option(
            "--admin",
            help="an administrator: manages accounts and sees health, metrics and the audit "
            "log, never another user's trading data",
        ),
    ] = False,
) -> None:
    """Create a user (with --admin, an administrator)."""
    from pydantic import ValidationError

    from tradeloop.services import accounts
    from tradeloop.services.database import transaction

    try:
        data = accounts.Registration(name=name, email=email, password=password, language=language)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc
    settings = _settings()
    with transaction(_ready_database().sessions) as session:
        role = "admin" if admin else "user"
        user = accounts.register(session, data, settings.default_language, role=role)
        out.print(f"created {role} {user.id} <{user.email}>")


@user_app.command("list")
def user_list(
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List users."""
    from rich.table import Table

    from tradeloop.services.accounts import list_users
    from tradeloop.services.database import transaction

    with transaction(_ready_database().sessions) as session:
        page = list_users(session, limit, offset)
        table = Table(
            "id", "email", "name", "role", "language", "joined", title=f"{page.total} users"
        )
        for user in page.items:
            joined = str(user.join_date or "")
            table.add_row(str(user.id), user.email, user.name, user.role, user.language, joined)
    out.print(table)


@user_app.command("delete")
def user_delete(
    email: Annotated[str, typer.Argument(help="the user's email")],
    force: Annotated[bool, typer.Option("--force", help="confirm deleting all their data")] = False,
) -> None:
    """Delete a user and all of their data. Needs --force."""
    if not force:
        raise InvalidInput("deleting a user deletes all their data: add --force to confirm")
    from tradeloop.services.accounts import remove_user
    from tradeloop.services.database import transaction

    with transaction(_ready_database().sessions) as session:
        remove_user(session, email)
    out.print(f"deleted {email} and all their data")


@demo_app.command("load")
def demo_load(
    host: Annotated[str, typer.Option(help="where the app will be served")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="its port")] = 8000,
) -> None:
    """Create the demo account and data (once) and print its sign-in."""
    from tradeloop.services import work
    from tradeloop.services.database import transaction
    from tradeloop.services.demo import load_demo

    work.configure(1, processes=False)  # one short run: no worker processes to start
    settings = _settings()
    with transaction(_ready_database().sessions) as session:
        account = load_demo(session, settings.data_dir)
    state = "created" if account.created else "already there"
    out.print(f"demo data {state}. Sign in at http://{host}:{port} with")
    out.print(f"  email:    {account.email}\n  password: {account.password}", highlight=False)


def _exit_code(exc: Exception) -> int | None:
    """The exit code of a click-style usage error (Typer vendors click), else None."""
    code = getattr(exc, "exit_code", None)
    return (
        code if isinstance(code, int) and callable(getattr(exc, "format_message", None)) else None
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage and user errors print one line and return exit code 2."""
    try:
        returned = app(args=argv, standalone_mode=False)  # a command's typer.Exit code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 1
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except Exception as exc:
        code = _exit_code(exc)
        if code is None:
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help
            print(exc.format_message(), file=sys.stderr)  # type: ignore[attr-defined]
            return code
        context = getattr(exc, "ctx", None)
        where = context.command_path if context is not None else "tradeloop"
        print(f"error: {where}: {exc.format_message()}", file=sys.stderr)  # type: ignore[attr-defined]
        return code
    return returned if isinstance(returned, int) else 0


if __name__ == "__main__":
    sys.exit(main())
