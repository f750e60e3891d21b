"""trailscan: follow crypto payments for rented GPU compute.

The library API mirrors the CLI: open a :class:`~trailscan.store.Store`, :func:`~trailscan.fetch.fetch`
history into it, read :meth:`~trailscan.store.Store.transfers` back.
"""

from __future__ import annotations

__version__ = "0.1.0"
