"""Reports: the trace as a self-contained HTML page with its flow graph (Graphviz)."""

from __future__ import annotations

from .html import render as render_html

__all__ = ["render_html"]
