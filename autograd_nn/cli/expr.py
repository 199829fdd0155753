"""Safe parsing of expressions typed on the command line, e.g. ``sin(x**2 + 5)``.

The text is parsed with `ast` and checked against a whitelist: numbers, the
variable names given, ``+ - * / **``, unary minus (and plus), and calls of the
op table's functions (`autograd_nn.ops.FUNCTIONS`: ``tanh(x)``, ``leaky_relu(x, 0.2)``,
``sum(x, y, z)``...).
Anything else (attributes, subscripts, lambdas, comprehensions, unknown names)
is refused with a one-line `ExpressionError` before anything runs; nothing is
ever passed to `eval`. A parsed expression builds `Value`s, so a huge power
such as ``9**9**9`` raises the engine's one-line OverflowError instead of
computing for ever.
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from ..engine import Value
from ..ops import FUNCTIONS, OPS

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "check_variable",
           "normalised_names", "parse"]

MAX_LENGTH = 500
"""Longest expression accepted, in characters."""
MAX_DEPTH = 250
"""Deepest nesting of operations accepted (``x+x+x`` nests one level a term)."""

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {
    ast.BitXor: "^",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: ":=",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "strings",
    ast.Tuple: "tuples",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
}


class ExpressionError(ValueError):
    """The text is not an expression this parser accepts; the message says why."""


def _clipped(text: str, limit: int = 40) -> str:
    """`text` on one line, cut to `limit` characters, for quoting in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def check_variable(name: str) -> str:
    """`name` if it can be a variable: an identifier, not a keyword, not one of
    the functions, not starting with an underscore."""
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ExpressionError(
            f"{_clipped(name)!r} cannot be a variable name "
            "(use letters, digits and _, starting with a letter)"
        )
    if unicodedata.normalize("NFKC", name) in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function name and cannot be a variable")
    return name


def normalised_names(names: Iterable[str]) -> dict[str, str]:
    """Each variable name as Python's parser reads it (NFKC: fullwidth ｘ is x) -> as given.

    Two names that read as one (``x`` and ``ｘ``) are refused, as Python would
    make them one variable.
    """
    spelled: dict[str, str] = {}
    for name in names:
        normal = unicodedata.normalize("NFKC", check_variable(name))
        if normal in spelled:
            first = spelled[normal]
            same = f"{first!r} is given twice" if first == name else (
                f"{first!r} and {name!r} are one name to Python (both read as {normal!r})")
            raise ExpressionError(f"{same}; give each variable once")
        spelled[normal] = name
    return spelled


# A compiled expression is a postfix program over these instructions.
_Instruction = tuple[str, object]


@dataclass(frozen=True)
class Expression:
    """A checked expression: `build` turns it into a graph of `Value`s."""

    text: str
    variables: tuple[str, ...]
    """The variable names it may use, in the order given (the order of `__call__`)."""
    used: frozenset[str]
    """The variable names it does use."""
    program: tuple[_Instruction, ...]

    def build(self, values: Mapping[str, Value | float]) -> Value:
        """The expression's graph with each variable bound to `values[name]`.

        Plain numbers become leaves labelled with the variable's name. Domain
        errors are the engine's (e.g. ``log(-2.0): log needs a positive input``).
        """
        spelled = normalised_names(values)
        missing = [name for name in sorted(self.used) if name not in spelled]
        if missing:
            raise ExpressionError(f"no value given for {', '.join(missing)}")
        leaves = {
            normal: value if isinstance(value, Value) else Value(value, name)
            for normal, name in spelled.items()
            for value in (values[name],)
        }
        stack: list[Value] = []
        for kind, argument in self.program:
            if kind == "const":
                stack.append(Value(argument))  # type: ignore[arg-type]
            elif kind == "var":
                stack.append(leaves[str(argument)])
            elif kind == "call":
                name, count = cast(tuple[str, int], argument)
                args = stack[-count:]
                del stack[-count:]
                op = OPS[name]
                left_out = op.arity - count if op.arity is not None else 0
                defaults = op.defaults[len(op.defaults) - left_out :]
                stack.append(args[0].apply(op, *args[1:], *defaults))
            else:
                right = stack.pop()
                stack.append(stack.pop().apply(str(argument), right))
        return stack[0]

    def __call__(self, xs: Sequence[Value]) -> Value:
        """Build with `xs` bound to `variables` in order (as gradcheck calls it)."""
        return self.build(dict(zip(self.variables, xs)))


def parse(text: str, variables: Iterable[str] = ()) -> Expression:
    """Check `text` against the whitelist and compile it; nothing is evaluated.

    Raises `ExpressionError` (a ValueError) with a one-line message for
    anything outside the whitelist, and for any text that is not an expression.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    names = tuple(normalised_names(variables))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long ({len(text)} characters; at most {MAX_LENGTH})"
        )
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        line = f"line {error.lineno}, " if error.lineno and error.lineno > 1 else ""
        where = f" at {line}column {error.offset}" if error.offset else ""
        raise ExpressionError(
            f"not a valid expression{where}: {_clipped(str(error.msg), 80)}"
        ) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        raise ExpressionError(
            f"not a valid expression: {_clipped(str(error) or type(error).__name__, 80)}"
        ) from None
    program, used = _compile(tree.body, text.strip(), set(names))
    return Expression(text, names, frozenset(used), tuple(program))


def _compile(
    root: ast.expr, source: str, variables: set[str]
) -> tuple[list[_Instruction], set[str]]:
    """Postfix program of the tree, checked node by node with an explicit stack."""
    program: list[_Instruction] = []
    used: set[str] = set()
    stack: list[tuple[ast.AST, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)")
        if children_done:
            program.append(_instruction(node))
            continue
        if isinstance(node, ast.Constant):
            program.append(("const", _number(node, source)))
        elif isinstance(node, ast.Name):
            program.append(("var", _variable(node, variables, source)))
            used.add(node.id)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                symbol = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
                hint = " (write powers as **)" if symbol == "^" else ""
                raise _refuse(f"the operator {symbol}", node, source, hint)
            stack.append((node, depth, True))
            stack.append((node.right, depth + 1, False))
            stack.append((node.left, depth + 1, False))
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _refuse("that unary operator", node, source, " (only - and +)")
            if isinstance(node.op, ast.USub):
                stack.append((node, depth, True))
            stack.append((node.operand, depth + 1, False))
        elif isinstance(node, ast.Call):
            _check_call(node, source)
            stack.append((node, depth, True))
            stack.extend((arg, depth + 1, False) for arg in reversed(node.args))
        else:
            what = _REFUSED_NODES.get(type(node), type(node).__name__)
            raise _refuse(what, node, source)
    return program, used


def _instruction(node: ast.AST) -> _Instruction:
    if isinstance(node, ast.BinOp):
        return ("binary", _BINARY[type(node.op)])
    if isinstance(node, ast.UnaryOp):
        return ("call", ("neg", 1))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return ("call", (node.func.id, len(node.args)))


def _refuse(what: str, node: ast.AST, source: str, hint: str = "") -> ExpressionError:
    segment = ast.get_source_segment(source, node) or ""
    return ExpressionError(f"not allowed: {what} in {_clipped(segment)!r}{hint}")


def _number(node: ast.Constant, source: str) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "strings" if isinstance(value, (str, bytes)) else f"{type(value).__name__} values"
        raise _refuse(kind, node, source, " (only numbers)")
    try:
        number = float(value)
    except OverflowError:
        raise _refuse("a number this large", node, source) from None
    if not math.isfinite(number):
        raise _refuse("a number this large", node, source)
    return number


def _variable(node: ast.Name, variables: set[str], source: str) -> str:
    """The variable `node` names (as the parser normalised it); unknown ones as typed."""
    if node.id in variables:
        return node.id
    typed = ast.get_source_segment(source, node) or node.id
    if node.id in FUNCTIONS:
        raise ExpressionError(f"{typed} is a function: call it, as in {typed}(x)")
    known = ", ".join(sorted(variables)) or "none"
    raise ExpressionError(
        f"unknown name {_clipped(typed)!r}: no value was given for it "
        f"(variables given: {known}; functions: {', '.join(FUNCTIONS)})"
    )


def _check_call(node: ast.Call, source: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise _refuse("calling anything but a function by name", node, source)
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(
            f"unknown function {_clipped(name)!r} (functions: {', '.join(FUNCTIONS)})"
        )
    op = OPS[name]
    fewest = 1 if op.arity is None else op.arity - len(op.defaults)
    most = len(node.args) if op.arity is None else op.arity
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise _refuse("this call", node, source, f" (give {name}'s arguments by position)")
    if not fewest <= len(node.args) <= most:
        if op.arity is None:
            takes = "at least one argument"
        elif fewest == most:
            takes = "exactly one argument" if most == 1 else f"exactly {most} arguments"
        else:
            takes = " or ".join(map(str, range(fewest, most + 1))) + " arguments"
        raise _refuse("this call", node, source, f" ({name} takes {takes})")
