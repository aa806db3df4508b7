"""Formulas of derived indicators, in the ADEME référentiel notation:
``val(cae_3.a)/1000/val(cae_2.a)*100`` — ``val(x)`` is required, ``opt_val(x)``
counts as 0 when missing. Evaluated with Decimal arithmetic on a whitelist of
operators (no ``eval``)."""

import ast
import functools
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation

TOKEN_RE = re.compile(r"(opt_val|val)\(\s*([A-Za-z0-9_.]+)\s*\)")
OPERATORS: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class FormulaError(ValueError):
    pass


def components(formula: str) -> list[str]:
    """Identifiers a formula reads, in order of first appearance."""
    seen: list[str] = []
    for _, identifier in TOKEN_RE.findall(formula or ""):
        if identifier not in seen:
            seen.append(identifier)
    return seen


@functools.lru_cache(maxsize=256)  # parsed once per formula, not once per aggregate
def _compile(formula: str) -> tuple[ast.Expression, dict[str, tuple[str, bool]]]:
    names: dict[str, tuple[str, bool]] = {}

    def substitute(match: re.Match) -> str:
        name = f"v{len(names)}"
        names[name] = (match.group(2), match.group(1) == "opt_val")
        return name

    source = TOKEN_RE.sub(substitute, formula)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"Formule illisible : {formula}") from exc
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BinOp,
            ast.Name,
            ast.Load,
            ast.Constant,
            ast.UnaryOp,
            ast.USub,
        )
        if not isinstance(node, allowed + tuple(OPERATORS)):
            raise FormulaError(f"Élément interdit dans la formule : {formula}")
        if isinstance(node, ast.Name) and node.id not in names:
            raise FormulaError(f"Nom inconnu dans la formule : {formula}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise FormulaError(f"Constante non numérique dans la formule : {formula}")
    return tree, names


def validate_formula(formula: str) -> None:
    _compile(formula)


def evaluate(formula: str, values: Mapping[str, Decimal | None]) -> Decimal | None:
    """Value of ``formula`` given component values; None when a required component
    is missing or a division by zero occurs."""
    tree, names = _compile(formula)
    bound: dict[str, Decimal] = {}
    for name, (identifier, optional) in names.items():
        value = values.get(identifier)
        if value is None:
            if not optional:
                return None
            value = Decimal(0)
        bound[name] = Decimal(value)

    def walk(node: ast.AST) -> Decimal:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        if isinstance(node, ast.Name):
            return bound[node.id]
        return Decimal(str(node.value))

    try:
        return walk(tree)
    except (ZeroDivisionError, DivisionByZero, InvalidOperation):
        return None
