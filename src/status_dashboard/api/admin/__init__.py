"""The admin API under /api/admin/v1: bearer-token authenticated, problem+json errors."""
