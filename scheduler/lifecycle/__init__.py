"""The obligations' lifecycle: every write with its audit entry, the sweep that records what has
come due, the receiving unit's word, and the simulation of a span of time."""
