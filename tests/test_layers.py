"""The package's imports follow ARCHITECTURE.md: a layer imports only the layers above it,
pure layers never reach storage or configuration, interfaces reach storage only through the
services, and the JSON API and the web pages do not import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import tradeloop

PACKAGE = Path(tradeloop.__file__).parent
# the layers of ARCHITECTURE.md, top first; top-level modules placed where they belong
LAYERS = [
    {"tradeloop", "tradeloop.core", "tradeloop.i18n", "tradeloop.security"},
    {"tradeloop.market"},
    {"tradeloop.strategies"},
    {"tradeloop.execution"},
    {"tradeloop.backtest"},
    {"tradeloop.journal"},
    {"tradeloop.habits"},
    {"tradeloop.mentor"},
    {"tradeloop.brokers"},
    {"tradeloop.bots"},
    {"tradeloop.store", "tradeloop.config"},
    {"tradeloop.services"},
    {"tradeloop.api", "tradeloop.web", "tradeloop.cli", "tradeloop.serving", "tradeloop.app"},
]
INTERFACES = ("tradeloop.api", "tradeloop.web", "tradeloop.cli", "tradeloop.serving")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _group(name: str) -> str:
    """The package (``tradeloop.x``) or top-level module a module belongs to."""
    return ".".join(name.split(".")[:2])


def _rank(name: str) -> int:
    group = _group(name)
    return next(i for i, layer in enumerate(LAYERS) if group in layer)


def _imports(path: Path) -> set[str]:
    """The tradeloop modules ``path`` imports (at any depth: lazy imports count too)."""
    found = set()
    module = _module(path)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (path.name == "__init__.py")]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return {name for name in found if name.split(".")[0] == "tradeloop"}


def _graph() -> dict[str, set[str]]:
    return {_module(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def test_every_package_is_placed_in_a_layer() -> None:
    unplaced = {_group(m) for m in _graph()} - set().union(*LAYERS)
    assert not unplaced


def test_no_layer_imports_one_below_it() -> None:
    wrong = sorted(
        f"{module} imports {name}"
        for module, names in _graph().items()
        for name in names
        if _rank(name) > _rank(module)
    )
    assert wrong == []


def test_interfaces_reach_the_database_only_through_services() -> None:
    wrong = sorted(
        f"{module} imports {name}"
        for module, names in _graph().items()
        if module.startswith(INTERFACES) or module == "tradeloop.app"
        for name in names
        if name.startswith("tradeloop.store")
    )
    assert wrong == []


def test_the_api_and_the_pages_do_not_import_each_other() -> None:
    wrong = sorted(
        f"{module} imports {name}"
        for module, names in _graph().items()
        for name in names
        if (module.startswith("tradeloop.api") and name.startswith("tradeloop.web"))
        or (module.startswith("tradeloop.web") and name.startswith("tradeloop.api"))
        or (
            module.startswith(("tradeloop.api", "tradeloop.web", "tradeloop.serving"))
            and name == "tradeloop.app"
        )
    )
    assert wrong == []


def test_the_checker_sees_a_violation() -> None:
    """The rules above would catch a pure layer reaching the database."""
    assert _rank("tradeloop.store.journal") > _rank("tradeloop.habits.analysis")
    assert _group("tradeloop.services.journal") == "tradeloop.services"
