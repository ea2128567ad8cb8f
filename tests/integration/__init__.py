"""Tests against real databases, servers and processes."""
