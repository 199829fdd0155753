r"""How the step-through writes numbers, ops, formulas and equations, as text and LaTeX.

One notation, read from the op table: an op applied to its operands is
written by `written` from the op's symbol and arity (``x · y``, ``x^2``,
``-a``, ``tanh(u)``, ``Σ(a, b, c)``); a local derivative is the op's formula
text with its placeholders replaced by the node's own operand names
(`substitute`: ``σ(u1)(1-σ(u1))``, never one ``s`` for every sigmoid); a
number is written by `format_number`. `to_latex` turns any of these into
LaTeX, and `equation` joins the stages of an explanation in both.

The conventions, the same in text and LaTeX:

- a local derivative (one op, its other inputs held fixed) is written with ∂,
  ``∂f/∂x``; a total one (every path from the output) with d, ``dg/dx``;
- the product sign is ``·`` (``\cdot``), a power ``^``;
- a negative number is parenthesised where it is a factor or follows an
  operator: ``1 · (-4)``, ``3 - 0.1 · (-4)``, but ``-12 + 2`` and ``= -4``.
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
    "PRODUCT",
    "Partial",
    "format_number",
    "operand_names",
    "signed",
    "substitute",
    "to_latex",
    "written",
]

NUMBER_FORMAT = ".4g"
"""How every number is written in explanations and drawings: short and fixed."""


PRODUCT = " · "
"""The product sign in plain text (``\\cdot`` in LaTeX), as the lectures write it."""


def format_number(x: float) -> str:
    """`x` in the fixed short format (4 significant digits); -0 is written 0."""
    return "0" if x == 0.0 else format(x, NUMBER_FORMAT)


def signed(text: str, bare: bool = False) -> str:
    """`text` (a number or formula) parenthesised if it starts with a minus sign,
    unless it stands `bare` (first in its expression and no factor of a product)."""
    return f"({text})" if text.startswith("-") and not bare else text


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
    """`op` applied to `operands`: a call (``tanh(u)``, ``Σ(a, b)``), prefix (``-a``)
    or infix (``x · y``, ``x^2``, ``t - σ``), a negative operand in parentheses
    unless it comes first in an infix op other than a power."""
    symbol = op.symbol
    if symbol.isidentifier() or op.arity is None:
        return f"{symbol}({', '.join(operands)})"
    if _is_prefix(op):
        return f"{symbol}{signed(operands[0])}"
    if symbol == "**":
        return "^".join(signed(name) for name in operands)
    first, *rest = operands
    sign = PRODUCT if symbol == "*" else f" {symbol} "
    return sign.join([first, *(signed(name) for name in rest)])


def in_text(formula: str) -> str:
    """The op table's formula text in the step-through's signs: ``·`` and ``^``."""
    return formula.replace("**", "^").replace("*", PRODUCT)


def substitute(op: Op, formula: str, inputs: Sequence[str], output: str) -> str:
    """The formula with the op's placeholders (a, b, x1.., out) replaced by the node's
    names, in the step-through's signs (`in_text`): ``b*a^(b-1)`` for ``err**2``
    reads ``2 · err^(2-1)``."""

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

    return in_text(_WORD.sub(replace, formula))


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
    """A derivative's symbol: the total d top / d bottom, or with `local` the local
    ∂ top / ∂ bottom (one op, its other inputs held fixed)."""

    top: str
    bottom: str
    local: bool = False

    @property
    def text(self) -> str:
        """``dg/dx`` or ``∂f/∂x``."""
        d = "∂" if self.local else "d"
        return f"{d}{self.top}/{d}{self.bottom}"

    @property
    def latex(self) -> str:
        r"""``\frac{dg}{dx}`` or ``\frac{\partial f}{\partial x}``."""
        top, bottom = to_latex(self.top), to_latex(self.bottom)
        if self.local:
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        return rf"\frac{{d{top}}}{{d{bottom}}}"


Factor = Partial | str | float
"""A factor of a product: a partial derivative, a formula, or a number."""
Stage = tuple[tuple[Factor, ...], ...]
"""One side of an equation: a sum of products."""


def factor_text(factor: Factor, bare: bool = False) -> str:
    """A factor as plain text, parenthesised where a product needs it: a formula
    with an operator outside parentheses, or anything negative unless `bare`."""
    if isinstance(factor, Partial):
        return factor.text
    if isinstance(factor, float):
        return signed(format_number(factor), bare)
    return f"({factor})" if _needs_parens(factor) else signed(factor, bare)


def factor_latex(factor: Factor, bare: bool = False) -> str:
    """A factor as LaTeX, parenthesised where `factor_text` parenthesises it."""
    if isinstance(factor, Partial):
        return factor.latex
    if isinstance(factor, float):
        return signed(format_number(factor), bare)
    if _needs_parens(factor):
        return rf"\left({to_latex(factor)}\right)"
    return signed(to_latex(factor), bare)


def _stage_text(stage: Stage) -> str:
    return " + ".join(
        PRODUCT.join(factor_text(f, k == 0 and len(product) == 1) for f in product)
        for k, product in enumerate(stage)
    )


def _stage_latex(stage: Stage) -> str:
    return " + ".join(
        r" \cdot ".join(factor_latex(f, k == 0 and len(product) == 1) for f in product)
        for k, product in enumerate(stage)
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
    "~": r"\sim", "\\": r"\backslash", "*": r" \cdot ", "·": r" \cdot ", "Σ": r"\Sigma",
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
