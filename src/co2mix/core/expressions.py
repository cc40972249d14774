"""Expressions written in params.yaml (``ingest.derive`` and ``ingest.filters``,
``evaluate.slices``, ``design.limits``), evaluated without ever running them as code.

pandas' ``eval`` and ``query`` resolve ``@name`` from the caller's globals and walk
attributes: a filter ``a > @pd.core.frame.com.builtins.__import__("os").getpid()*0``
ran a system call, and CI runs a pull request's params. Here an expression is parsed
with :mod:`ast` and interpreted node by node over the frame's columns: column names,
numbers, strings, arithmetic, comparisons (``in`` a list too), ``and``/``or``/``not``
(and pandas' ``&``/``|``/``~``) and the functions in :data:`FUNCTIONS`. Anything else
(``@``, attributes, subscripts, other calls, keyword arguments, names starting with an
underscore) is refused when params are read, in one line naming the params key.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from co2mix.core.errors import ParamsError

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "log": np.log,
    "log10": np.log10,
    "log2": np.log2,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "minimum": np.minimum,
    "maximum": np.maximum,
}
BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitAnd: np.logical_and,
    ast.BitOr: np.logical_or,
}
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: np.logical_not,
    ast.Invert: np.logical_not,
}
COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda left, right: np.isin(left, right),
    ast.NotIn: lambda left, right: ~np.isin(left, right),
}


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its parsed tree, and the column names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, columns: Mapping[str, Any] | pd.DataFrame) -> Any:
        """The value over ``columns`` (name -> array or Series); names it reads must be
        there (:func:`require` says which are not)."""
        return _value(self.tree, columns)


@functools.lru_cache(maxsize=256)  # the design stage evaluates its limits thousands of times
def parse_expression(text: str) -> Expression:
    """``text`` checked; a ``ValueError`` saying what is not allowed (params validators
    turn it into an error naming the key; :func:`expression` does at run time)."""
    if "@" in text:
        raise ValueError(f"'@' (a pandas reference to a Python variable) is not allowed; {ALLOWED}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not an expression ({exc.msg})") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        refusal = _refusal(node)
        if refusal:
            raise ValueError(f"{refusal} is not allowed; {ALLOWED}")
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
            names.add(node.id)
    return Expression(text, tree, frozenset(names))


def expression(text: str, key: str) -> Expression:
    """:func:`parse`, its refusal a :class:`ParamsError` naming ``key``."""
    try:
        return parse_expression(text)
    except ValueError as exc:
        raise ParamsError(f"params.yaml: {key} = {text!r}: {exc}") from None


def checked(texts: Any) -> Any:
    """A params validator: every expression in ``texts`` (a string, a list of them, or a
    mapping whose values are) parses; ``texts`` itself is returned. The refusal names the
    mapping's entry and quotes the expression."""
    entries = texts.items() if isinstance(texts, Mapping) else [(None, t) for t in texts]
    if isinstance(texts, str):
        entries = [(None, texts)]
    for name, text in entries:
        if not isinstance(text, str):
            continue  # the field's own type check says what is wrong
        try:
            parse_expression(text)
        except ValueError as exc:
            where = f"{name} = " if name is not None else ""
            raise ValueError(f"{where}{text!r}: {exc}") from None
    return texts


ALLOWED = (
    "column names, numbers, strings, + - * / // % **, comparisons, and/or/not, & | ~, "
    f"and the functions {', '.join(FUNCTIONS)}"
)
NODES = (
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Constant, ast.Name, ast.Call,
    ast.List, ast.Tuple, ast.Load, ast.And, ast.Or,
    *BINARY, *UNARY, *COMPARE,
)  # fmt: skip


def _refusal(node: ast.AST) -> str | None:
    """What makes ``node`` not allowed, or None."""
    if not isinstance(node, NODES):
        return f"{type(node).__name__} ({ast.unparse(node) if isinstance(node, ast.expr) else ''})"
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str | bool):
        return f"the constant {node.value!r}"
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            return f"the call {ast.unparse(node.func)}()"
        if node.keywords:
            return f"keyword arguments to {node.func.id}()"
    return None


def _value(node: ast.expr, columns: Mapping[str, Any] | pd.DataFrame) -> Any:
    """The interpreter: only the node types :func:`parse` let through."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return columns[node.id]
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(e, columns) for e in node.elts]
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](_value(node.left, columns), _value(node.right, columns))
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](_value(node.operand, columns))
    if isinstance(node, ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        values = [_value(v, columns) for v in node.values]
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.Compare):
        result, left = True, _value(node.left, columns)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _value(comparator, columns)
            result = np.logical_and(result, COMPARE[type(op)](left, right))
            left = right
        return result
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](*[_value(a, columns) for a in node.args])


def require(expression: Expression, columns: list[str], key: str) -> None:
    """Every name ``expression`` reads is one of ``columns``."""
    unknown = sorted(expression.names - set(columns))
    if unknown:
        shown = [c for c in columns if not c.startswith("_")]  # not the internal ones
        raise ParamsError(
            f"params.yaml: {key} = {expression.text!r}: {unknown} are not columns "
            f"(columns: {shown})"
        )


def rows_where(text: str, frame: pd.DataFrame, key: str) -> np.ndarray:
    """Which of ``frame``'s rows the condition ``text`` (params key ``key``) holds on."""
    condition = expression(text, key)
    require(condition, list(frame.columns), key)
    try:
        mask = np.asarray(condition.evaluate(frame))
    except (TypeError, ValueError) as exc:  # e.g. text compared with a number
        raise ParamsError(f"params.yaml: {key} = {text!r}: {exc}") from None
    if mask.dtype != bool:
        raise ParamsError(f"params.yaml: {key} = {text!r}: not a condition (true or false)")
    return np.broadcast_to(mask, (len(frame),))
