"""Performance tooling: the benchmark (`make bench`) and the load test (`make load`).

Not imported by the application; docs/performance.md holds the results.
"""
