"""A charger simulator: one or many OCPP 1.6J charge points driving a central system.

Run it with `python -m sim --help`. Each simulated charger boots, reports its connectors,
heartbeats, runs charging sessions (authorize, start, meter values, stop) and answers the
central system's commands from its own state, as real firmware does.
"""
