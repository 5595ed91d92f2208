"""The deadline law, pure: Vietnam time, the working-day calendar, the rules of each kind, the
reminder plan, and which obligations an event creates. Imports no I/O library."""
