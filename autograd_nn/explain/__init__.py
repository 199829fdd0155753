"""The forward and backward pass explained: step records, notation, worked solutions, examples.

- `steps.py`: `forward_steps`, `backward_steps`, `chain_rule`,
  `update_steps` (one gradient-descent step), `evaluate_at`, `values_at`
  and their records (`ForwardStep`, `BackwardStep`, `Send`, `Contribution`,
  `ChainRule`, `UpdateStep`); constants have no step of their own;
- `notation.py`: how numbers, ops, formulas and equations are written, as
  text and LaTeX (`format_number`, `to_latex`, `Partial`: ∂ for a local
  derivative, d for a total one), read from the op table;
- `render.py`: `explain`, the whole worked solution as text or Markdown;
- `examples.py`: the lectures' worked examples by name (`EXAMPLES`, `example`).

Import from the modules (``from autograd_nn.explain.steps import backward_steps``)
or from the addresses the README uses, `autograd_nn.steps` and
`autograd_nn.examples`, which re-export these names.
"""
