"""The step-through's old address: re-exports `autograd_nn.explain` and `autograd_nn.graph`.

`forward_steps`, `backward_steps`, `chain_rule`, `update_steps`, `evaluate_at`,
`values_at` and their records live in `explain/steps.py`, `explain` in
`explain/render.py`, `format_number` and `to_latex` in `explain/notation.py`;
`evaluation_order`, `is_constant`, `node_names` and `op_of` in `graph.py`.
"""

from .explain.notation import NUMBER_FORMAT, format_number, to_latex
from .explain.render import explain
from .explain.steps import (
    BackwardStep,
    ChainRule,
    Contribution,
    ForwardStep,
    Send,
    UpdateStep,
    backward_steps,
    chain_rule,
    default_params,
    evaluate_at,
    forward_steps,
    update_steps,
    values_at,
)
from .graph import evaluation_order, is_constant, node_names, op_of

__all__ = [
    "NUMBER_FORMAT",
    "BackwardStep",
    "ChainRule",
    "Contribution",
    "ForwardStep",
    "Send",
    "UpdateStep",
    "backward_steps",
    "chain_rule",
    "default_params",
    "evaluate_at",
    "evaluation_order",
    "explain",
    "format_number",
    "forward_steps",
    "is_constant",
    "node_names",
    "op_of",
    "to_latex",
    "update_steps",
    "values_at",
]
