"""`no_grad` is per thread, as PyTorch's grad mode is: real threads, real races."""

import threading

from autograd_nn import Value, is_recording, no_grad
from autograd_nn.data import make_moons
from autograd_nn.nn import MLP
from autograd_nn.train import fit


def test_another_thread_inside_no_grad_does_not_stop_this_one_recording():
    inside = threading.Event()
    leave = threading.Event()

    def evaluate_without_graph():
        with no_grad():
            inside.set()
            leave.wait(10)

    worker = threading.Thread(target=evaluate_without_graph)
    worker.start()
    try:
        assert inside.wait(10)
        x = Value(3.0, "x")
        y = x * x
        y.backward()
        assert is_recording() and y.inputs == (x, x) and x.grad == 6.0
    finally:
        leave.set()
        worker.join()


def test_blocks_that_exit_out_of_order_leave_recording_on():
    """Thread A enters no_grad, B enters, A leaves, B leaves: training still changes weights.

    With one process-wide switch, B restored "off" on leaving, as it found it.
    """
    model = MLP(2, [4, 1], seed=0)
    X, y = make_moons(40, noise=0.1, seed=0)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with no_grad():
            model([0.1, 0.2])
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def second():
        a_in.wait(10)
        with no_grad():
            model([0.3, 0.4])
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert is_recording()
    before = [p.data for p in model.parameters()]
    fit(model, X, y, epochs=3, seed=0, progress=False)
    changed = sum(a != p.data for a, p in zip(before, model.parameters()))
    assert changed == len(before)


def test_nested_no_grad_in_one_thread_restores_recording_at_the_outer_end():
    with no_grad():
        with no_grad():
            assert not is_recording()
        assert not is_recording()
    assert is_recording()
