"""Tunables of the realtime hub (kept apart so settings.py need not import the hub)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HubSettings:
    queue_size: int = 1000
    """Changes a subscriber may have waiting; beyond that it must resync."""
    probe_interval: float = 2.0
    """Seconds between checks that the LISTEN connection is alive."""
    poll_interval: float = 5.0
    """Seconds between reads of the change log when no notification arrives."""
    max_backoff: float = 2.0
    retention_hours: float = 168.0
    prune_interval: float = 600.0
