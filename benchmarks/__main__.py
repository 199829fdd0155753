"""`python -m benchmarks`: the side-by-side benchmark table."""

from benchmarks.run import main

raise SystemExit(main())
