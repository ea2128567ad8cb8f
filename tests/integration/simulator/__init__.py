"""The simulator over real HTTP."""
