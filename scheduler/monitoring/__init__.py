"""Watching the daemon: Prometheus metrics, /healthz, and the structured logs."""
