"""Data sources: the only modules that talk to networks."""
