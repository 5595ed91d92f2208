"""Thin APScheduler job entry points; each calls one step of the engine in ``scheduler``."""
