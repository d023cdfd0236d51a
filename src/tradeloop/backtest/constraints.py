"""A sweep's constraints: a small expression language over parameter names, parsed here and
never evaluated as Python. ``fast_period < slow_period``, ``tp_pips >= 2 * sl_pips and
risk_percent <= 2``: names, numbers, ``+ - * /`` (also ``−``, ``×``, ``÷``), parentheses,
comparisons (``< <= > >= == !=``, also ``≤ ≥ ≠``) and ``and``/``or``/``not``.

Grammar (lowest precedence first)::

    expression := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation   := "not" negation | comparison
    comparison := sum (comparator sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | number | name | "(" expression ")"
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tradeloop.core.errors import InvalidInput

Value = float | bool
Node = Callable[[Mapping[str, float]], Value]

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|[<>+\-*/()≤≥≠−×÷]))"
)
_SAME = {"−": "-", "×": "*", "÷": "/", "≤": "<=", "≥": ">=", "≠": "!="}
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne}  # fmt: skip
_WORDS = {"and", "or", "not"}
MAX_LENGTH = 500


class ConstraintError(InvalidInput):
    """A constraint that cannot be read, or that cannot be judged for one combination."""


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: its text, the names it reads, and a test of one combination."""

    text: str
    names: frozenset[str]
    _test: Node

    def holds(self, values: Mapping[str, float]) -> bool:
        """Whether the combination ``values`` (every name it reads) meets the constraint;
        ConstraintError (with the reason) when it cannot be judged (a division by zero)."""
        try:
            return bool(self._test(values))
        except ZeroDivisionError as exc:
            raise ConstraintError(f"{self.text}: division by zero") from exc
        except KeyError as exc:
            raise ConstraintError(f"{self.text}: {exc.args[0]} has no value") from exc


def parse_constraint(text: str, known: Iterable[str]) -> Constraint:
    """``text`` as a Constraint over the parameter names ``known``; InvalidInput naming the
    problem and where it is (``--constraint`` and the form's field)."""
    if len(text) > MAX_LENGTH:
        raise _error(text, f"longer than {MAX_LENGTH} characters", "long", limit=MAX_LENGTH)
    tokens = _tokens(text)
    parser = _Parser(text, tokens, frozenset(known))
    node = parser.expression()
    if parser.at < len(tokens):
        raise _error(text, f"unexpected {tokens[parser.at]!r} after a complete expression",
                     "after", token=tokens[parser.at])  # fmt: skip
    return Constraint(text, frozenset(parser.used), node)


def _error(text: str, problem: str, code: str, **values: object) -> ConstraintError:
    """The constraint's problem: in English for the command line, and by its catalogue key
    ``optimise.error.constraint_<code>`` for the pages and the API."""
    return ConstraintError(
        f"constraint {text!r}: {problem}", [{"field": "constraints"}],
        f"optimise.error.constraint_{code}", {"text": text, **values},
    )  # fmt: skip


def _tokens(text: str) -> list[str]:
    tokens, at = [], 0
    while at < len(text.rstrip()):
        found = _TOKEN.match(text, at)
        if found is None or found.end() == at:
            piece = text[at:].strip()[:20]
            raise _error(text, f"cannot read {piece!r} (position {at + 1})", "unreadable",
                         piece=piece, position=at + 1)  # fmt: skip
        token = found.group("number") or found.group("name") or found.group("op")
        tokens.append(_SAME.get(token, token))
        at = found.end()
    if not tokens:
        raise _error(text, "it is empty", "empty")
    return tokens


class _Parser:
    """Recursive descent over the tokens, building closures (no ``eval``)."""

    def __init__(self, text: str, tokens: list[str], known: frozenset[str]) -> None:
        self.text, self.tokens, self.known = text, tokens, known
        self.at = 0
        self.used: set[str] = set()

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise _error(self.text, "it ends too early", "early")
        self.at += 1
        return token

    def _chain(
        self, ops: dict[str, Callable[[Node, Node], Node]], part: Callable[[], Node]
    ) -> Node:
        """``part`` (op ``part``)* for the operators ``ops``, left to right."""
        node = part()
        while (op := self._peek()) in ops:
            self.at += 1
            node = ops[op](node, part())  # type: ignore[index]
        return node

    def expression(self) -> Node:
        return self._chain({"or": _either}, self._conjunction)

    def _conjunction(self) -> Node:
        return self._chain({"and": _both}, self._negation)

    def _negation(self) -> Node:
        if self._peek() == "not":
            self.at += 1
            inner = self._negation()
            return lambda v: not inner(v)
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._sum()
        piece = self._peek()
        if piece in _COMPARE:
            self.at += 1
            compare, right = _COMPARE[piece], self._sum()
            return lambda v: compare(left(v), right(v))
        return left

    def _sum(self) -> Node:
        return self._chain(_ADDING, self._product)

    def _product(self) -> Node:
        return self._chain(_MULTIPLYING, self._unary)

    def _unary(self) -> Node:
        piece = self._take()
        if piece == "-":
            inner = self._unary()
            return lambda v: -inner(v)
        if piece == "(":
            node = self.expression()
            if self._peek() != ")":
                raise _error(self.text, "a '(' is not closed", "unclosed")
            self.at += 1
            return node
        if piece[0].isdigit() or piece[0] == ".":
            number = float(piece)
            return lambda v: number
        if piece in _WORDS or not (piece[0].isalpha() or piece[0] == "_"):
            raise _error(self.text, f"expected a number or a parameter name, found {piece!r}",
                         "expected", piece=piece)  # fmt: skip
        if piece not in self.known:
            names = ", ".join(sorted(self.known)) or "none"
            raise _error(self.text, f"unknown parameter {piece!r} (known: {names})", "unknown",
                         name=piece, known=names)  # fmt: skip
        self.used.add(piece)
        return lambda v: float(v[piece])


def _apply(op: Callable[[float, float], float], left: Node, right: Node) -> Node:
    def node(v: Mapping[str, float]) -> float:
        result = op(float(left(v)), float(right(v)))
        if not math.isfinite(result):
            raise ZeroDivisionError
        return result

    return node


def _arithmetic(op: Callable[[float, float], float]) -> Callable[[Node, Node], Node]:
    return lambda left, right: _apply(op, left, right)


_ADDING = {"+": _arithmetic(operator.add), "-": _arithmetic(operator.sub)}
_MULTIPLYING = {"*": _arithmetic(operator.mul), "/": _arithmetic(operator.truediv)}


def _both(left: Node, right: Node) -> Node:
    return lambda v: bool(left(v)) and bool(right(v))


def _either(left: Node, right: Node) -> Node:
    return lambda v: bool(left(v)) or bool(right(v))
