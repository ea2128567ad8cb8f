"""The store adapters, against every backend."""
