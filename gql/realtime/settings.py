"""Tunables of the realtime hub (kept apart so settings.py need not import the hub)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HubSettings:
    window: int = 10_000
    """Recent changes kept in memory for every subscription of the process to read; one
    that falls further behind than this reads the change log (it is not dropped)."""
    probe_interval: float = 2.0
    """Seconds between checks that the LISTEN connection is alive."""
    poll_interval: float = 5.0
    """Seconds between reads of the change log when no notification arrives."""
    max_backoff: float = 2.0
    outage_seconds: float = 60.0
    """How long a subscription waits for a lost database before it ends with a retryable
    error (the client resumes with its cursor)."""
    retention_hours: float = 168.0
    prune_interval: float = 600.0
    socket_backlog_bytes: int = 256 * 1024
    """Event text a socket may have waiting while it does not read (beyond what the transport
    buffers); past it the socket is closed with RESYNC_REQUIRED."""
