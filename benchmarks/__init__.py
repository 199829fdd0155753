"""Side-by-side speed and memory of autograd_nn and micrograd (not part of the tests).

Run ``python -m benchmarks`` (or ``python benchmarks/run.py``) after
``pip install -e ".[bench]"``; ``--json`` prints machine-readable results.
`workloads` holds what is measured, `run` how it is timed and reported.
"""
