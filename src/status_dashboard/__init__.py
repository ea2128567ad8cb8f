"""The eHealth platform's Status Dashboard service."""

__version__ = "0.1.0"
