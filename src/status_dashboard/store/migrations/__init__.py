"""Alembic migrations of the store's schema; run them through `status_dashboard.store.migrate`."""
