"""The monitor: the loop that runs due checks and records their results."""

from status_dashboard.worker.runner import MonitorWorker, WorkerSettings

__all__ = ["MonitorWorker", "WorkerSettings"]
