"""Pictures of learning with matplotlib: decision boundaries, curves, optimiser paths.

    from autograd_nn.plot import plot_decision_boundary, plot_history

    history = fit(model, X, y, X_test=X_test, y_test=y_test, epochs=40)
    plot_history(history).savefig("loss.png")
    plot_decision_boundary(model, X, y, X_test, y_test).savefig("boundary.png")

Every function returns the matplotlib `Figure` it drew on and never calls
`show()`: in Jupyter a returned figure displays itself, elsewhere `savefig`
writes it. Figures are made with the object-oriented API, so nothing lands in
pyplot's global list of open figures; functions that draw one picture also
take `ax=` to draw into an axes of your own figure.

Models are evaluated in evaluation mode (Dropout off, BatchNorm on its
running statistics), each module's mode restored after: a grid by one traced
program replayed over all its points (`autograd_nn.compiled`, with numpy),
else point by point under `no_grad`; the numbers are the same.
Nothing here draws random numbers.

One module per kind of picture: `boundary` (what a classifier decides over
the plane), `curves` (how training went), `landscape` (optimisers on fn(x, y)),
`animation` (a training run's boundary and loss, frame by frame).

Needs matplotlib: ``pip install "autograd_nn[plot]"``.
"""

from __future__ import annotations

try:
    import matplotlib  # noqa: F401
except ImportError as error:
    raise ImportError(
        'autograd_nn.plot needs matplotlib: pip install "autograd_nn[plot]"'
    ) from error

from ._shared import CLASS_COLORS
from .animation import TrainingAnimation, animate_training
from .boundary import plot_decision_boundary, plot_neuron_maps
from .curves import plot_gradient_norms, plot_history
from .landscape import OptimizerPath, optimizer_paths, plot_optimizer_paths, plot_optimizer_values

__all__ = [
    "CLASS_COLORS",
    "OptimizerPath",
    "TrainingAnimation",
    "animate_training",
    "optimizer_paths",
    "plot_decision_boundary",
    "plot_gradient_norms",
    "plot_history",
    "plot_neuron_maps",
    "plot_optimizer_paths",
    "plot_optimizer_values",
]
