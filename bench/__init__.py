"""Benchmarks: each scenario starts the server the production way and reports ratios.

One command per scenario (`python -m bench.heartbeat`, `bench.idle`, `bench.transactions`,
`bench.commands`, `bench.reconnect`); every figure is printed beside a baseline measured in
the same run.
"""
