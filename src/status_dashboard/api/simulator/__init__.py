"""The simulator's HTTP side: its dashboards, scenarios and the conformance report."""
