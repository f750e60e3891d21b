"""Payment tracing: follow a wallet's value hop by hop under a taint policy, down to labeled endpoints."""

from __future__ import annotations

from .engine import DEFAULT_STOPS, TraceOptions, trace
from .index import TraceIndex
from .model import TraceResult
from .policies import POLICIES, get_policy
from .value import Prices, Valuer

__all__ = ["DEFAULT_STOPS", "POLICIES", "Prices", "TraceIndex", "TraceOptions", "TraceResult", "Valuer", "get_policy",
           "trace"]
