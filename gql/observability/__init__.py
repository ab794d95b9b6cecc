"""What an operator watches: Prometheus metrics, OpenTelemetry traces, log lines.

The bottom layer: it imports nothing from gql, and everything above may report through it.
"""
