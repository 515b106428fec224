"""Loop's benchmark suite: ``make bench`` (``make bench QUICK=1`` for the ≤ 3-minute run).

Everything here runs against 127.0.0.1 only, in PostgreSQL databases named ``loop_bench*``, and is
never part of the test suite or CI. See docs/benchmarks.md.
"""
