"""Helpers the tests share: a real server process, and the cookbook's contract as a checker."""
