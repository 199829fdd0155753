"""How the step-through writes numbers, ops, formulas and equations, as text and LaTeX.

One notation, read from the op table: an op applied to its operands is
written by `written` from the op's symbol and arity (``x * y``, ``-a``,
``tanh(u)``, ``Σ(a, b, c)``); a local derivative is the op's formula text with
its placeholders replaced by the operands' names (`substitute`); a number is
written by `format_number`. `to_latex` turns any of these into LaTeX, and
`equation` joins the stages of an explanation (``dg/dx = ... = -4``) in both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..engine import Value
from ..graph import node_names
from ..ops import OPS, Op

__all__ = [
    "NUMBER_FORMAT",
    "format_number",
    "operand_names",
    "substitute",
    "to_latex",
    "written",
]

NUMBER_FORMAT = ".4g"
"""How every number is written in explanations and drawings: short and fixed."""


def format_number(x: float) -> str:
    """`x` in the fixed short format (4 significant digits); -0 is written 0."""
    return "0" if x == 0.0 else format(x, NUMBER_FORMAT)


def operand_names(order: Sequence[Value]) -> dict[Value, str]:
    """Names used inside formulas: an unlabelled constant is written as its number."""
    names = node_names(order)
    for node in order:
        if not node.label and not node.inputs:
            names[node] = format_number(node.data)
    return names


# Ops and formulas ---------------------------------------------------------

_WORD = re.compile(r"[^\W\d]\w*")
_NARY_INPUT = re.compile(r"x(\d+)")
_ATOM = re.compile(r"\w+(\.\w+)*")


def _wrap(name: str) -> str:
    """`name` as an operand: parenthesised unless it is one word or a plain number."""
    return name if _ATOM.fullmatch(name) else f"({name})"


def _is_prefix(op: Op) -> bool:
    """Whether `op` is written as a symbol before its one operand, as negation's ``-a``."""
    return op.arity == 1 and not op.symbol.isidentifier()


def written(op: Op, operands: Sequence[str]) -> str:
    """`op` applied to `operands` as the table writes it: infix, prefix or a call."""
    symbol = op.symbol
    if symbol.isidentifier() or op.arity is None:
        return f"{symbol}({', '.join(operands)})"
    if len(operands) == 1:
        return f"{symbol}{operands[0]}"
    return f" {symbol} ".join(operands)


def operand_number(op: Op, value: float) -> str:
    """A number as an operand of `op`: a negative one in parentheses where `-` would
    bind differently (a power's base, a negation's operand)."""
    text = format_number(value)
    if text.startswith("-") and (op.symbol == "**" or _is_prefix(op)):
        return f"({text})"
    return text


def substitute(op: Op, formula: str, inputs: Sequence[str], output: str) -> str:
    """The formula with the op's placeholders (a, b, x1.., out) replaced by names."""

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        if word == "out":
            return _wrap(output)
        if word in ("a", "b") and "ab".index(word) < len(inputs):
            return _wrap(inputs["ab".index(word)])
        numbered = _NARY_INPUT.fullmatch(word)
        if op.arity is None and numbered and 0 < int(numbered.group(1)) <= len(inputs):
            return _wrap(inputs[int(numbered.group(1)) - 1])
        return word

    return _WORD.sub(replace, formula)


def _needs_parens(text: str) -> bool:
    """Whether `text` must be parenthesised as a factor of a product."""
    depth = 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and position > 0 and char in "+- ":
            return True
    return False


# Equations -----------------------------------------------------------------
# Explanations are built as stages joined by " = "; each stage is a sum of
# products of factors, rendered as plain text or as LaTeX.


@dataclass(frozen=True)
class Partial:
    """The symbol d top / d bottom."""

    top: str
    bottom: str


Factor = Partial | str | float
"""A factor of a product: a partial derivative, a formula, or a number."""
Stage = tuple[tuple[Factor, ...], ...]
"""One side of an equation: a sum of products."""


def factor_text(factor: Factor) -> str:
    """A factor as plain text, parenthesised where a product needs it."""
    if isinstance(factor, Partial):
        return f"d{factor.top}/d{factor.bottom}"
    if isinstance(factor, float):
        return format_number(factor)
    return f"({factor})" if _needs_parens(factor) else factor


def factor_latex(factor: Factor, alone: bool) -> str:
    """A factor as LaTeX; a negative number in parentheses unless it stands `alone`."""
    if isinstance(factor, Partial):
        return rf"\frac{{\partial {to_latex(factor.top)}}}{{\partial {to_latex(factor.bottom)}}}"
    if isinstance(factor, float):
        number = format_number(factor)
        return number if alone or not number.startswith("-") else f"({number})"
    return rf"\left({to_latex(factor)}\right)" if _needs_parens(factor) else to_latex(factor)


def _stage_text(stage: Stage) -> str:
    return " + ".join(" * ".join(factor_text(f) for f in product) for product in stage)


def _stage_latex(stage: Stage) -> str:
    alone = len(stage) == 1
    return " + ".join(
        r" \cdot ".join(factor_latex(f, alone and len(product) == 1) for f in product)
        for product in stage
    )


def equation(stages: Sequence[Stage]) -> tuple[str, str]:
    """Text and LaTeX of `stage0 = stage1 = ...`, skipping a stage equal to the last."""
    texts: list[str] = []
    latexes: list[str] = []
    for stage in stages:
        text = _stage_text(stage)
        if texts and text == texts[-1]:
            continue
        texts.append(text)
        latexes.append(_stage_latex(stage))
    return " = ".join(texts), " = ".join(latexes)


# LaTeX ---------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\*\*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|[^\W\d]\w*|.")
_FUNCTIONS = {name for name in OPS if name.isidentifier()} | {"sign"}
"""Words set upright as operators: the table's op names, and `sign` from abs's formula."""
_WORDS = {"if", "else", "and", "or"}
_SYMBOLS = {
    "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\sim", "\\": r"\backslash", "*": r" \cdot ", "Σ": r"\Sigma",
}
_GREEK = (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.capitalize))


def _letter_latex(char: str) -> str:
    """A Greek letter as its LaTeX command, any other character unchanged."""
    name = unicodedata.name(char, "")
    for prefix, case in _GREEK:
        if name.startswith(prefix):
            return "\\" + case(name.removeprefix(prefix)) + " "
    return char


def _word_latex(word: str) -> str:
    """x -> x, w11 -> w_{11}, tanh -> \\operatorname{tanh}, w_out -> w_{out}."""
    if word in _FUNCTIONS:
        return rf"\operatorname{{{word}}}"
    if word in _WORDS:
        return rf"\text{{ {word} }}"
    if word.startswith("_"):
        return word.replace("_", r"\_")
    base, underscore, subscript = word.partition("_")
    numbered = None if underscore else re.fullmatch(r"(\D+?)(\d+)", word)
    if numbered:
        base, subscript = numbered.groups()
    letters = "".join(_letter_latex(c) for c in base).strip()
    if len(base) > 1 and any(_letter_latex(c) == c for c in base):
        letters = rf"\mathrm{{{letters}}}"
    if subscript:
        return f"{letters}_{{{subscript.replace('_', ',')}}}"
    return letters


def _token_latex(token: str) -> str:
    if token[0].isdigit():
        return token
    if _WORD.fullmatch(token):
        return _word_latex(token)
    return _SYMBOLS.get(token, token)


def to_latex(text: str) -> str:
    """A formula or expression in the op table's notation (``b*a^(b-1)``) as LaTeX.

    Handles names with numeric subscripts, Greek letters, ``*`` and ``**``/``^``
    with a parenthesised or single exponent; anything else passes through
    escaped.
    """
    out: list[str] = []
    parens: list[bool] = []  # True where "(" opened an exponent group
    exponent_next = False
    for token in _TOKEN.findall(text):
        if token.isspace():
            if not exponent_next:
                out.append(" ")
        elif token in ("**", "^"):
            exponent_next = True
            while out and out[-1] == " ":
                out.pop()
            out.append("^")
        elif exponent_next:
            exponent_next = False
            if token == "(":
                parens.append(True)
                out.append("{")
            else:
                out.append("{" + _token_latex(token) + "}")
        elif token == "(":
            parens.append(False)
            out.append("(")
        elif token == ")":
            out.append("}" if parens and parens.pop() else ")")
        else:
            out.append(_token_latex(token))
    return re.sub(r" {2,}", " ", "".join(out)).strip()
