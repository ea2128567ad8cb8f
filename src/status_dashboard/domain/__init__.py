"""The pure domain: what a dashboard is, and the rules that decide what it shows.

Nothing here does I/O or reads the clock: every rule takes its data and an explicit `now`.
"""
