"""The one interface every chain's history source follows, and the one registry that picks a source for a chain.

A source reads one chain through one client (:class:`~trailscan.sources.rpc.RpcClient`: JSON-RPC calls, and
REST GETs with the same budget, retries and redaction). Each declares its chain ``FAMILY`` (the ``family`` of
:class:`~trailscan.chains.Chain`: evm, solana, tron, cosmos) and the history methods it uses, and answers:

- :meth:`Source.check_chain`: refuse an endpoint that serves another chain (a Solana RPC given for Tron);
- :meth:`Source.head`: the newest height (block or slot) history is read up to;
- :meth:`Source.doctor`: what the endpoint is and can do, as (check, value) rows;
- :meth:`Source.fetch`: the history of addresses (or tokens) into the store, resumable through coverage;
- :meth:`Source.balances`: balances at a height, where the endpoint keeps that state (opening balances).

Nothing outside ``sources/`` (and the EVM fetch job in ``ingest``) knows a chain's wire format: the CLI, the
store and tracing see :class:`~trailscan.model.Transfer` records keyed by CAIP-2 chain and canonical address.
Sources of other packages plug in through the entry-point group ``trailscan.sources``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..chains import Chain
from ..errors import InputError

if TYPE_CHECKING:
    from ..ingest import FetchOptions, Progress
    from ..model import FetchSummary
    from ..store import Store
    from .rpc import RpcClient


class Source(ABC):
    NAME: ClassVar[str]  # the family it serves: evm | solana | tron | cosmos
    HISTORY_METHODS: ClassVar[tuple[str, ...]]  # the endpoint methods it reads history with
    ENDPOINT: ClassVar[str]  # what kind of endpoint --rpc must name, for error messages

    def __init__(self, client: RpcClient, chain: Chain) -> None:
        if chain.family != self.NAME:
            raise InputError(f"the {self.NAME} source cannot read {chain.name}", hint="pick the chain's own source")
        self.client = client
        self.chain = chain

    @abstractmethod
    def check_chain(self) -> None:
        """Raise a one-line error when the endpoint serves another chain or another kind of API."""

    @abstractmethod
    def head(self) -> int:
        """The newest height history is read up to (finalized where the chain says so)."""

    @abstractmethod
    def doctor(self) -> list[tuple[str, Any]]:
        """(check, value) rows: the endpoint, the chain it serves, its head, the history methods that answer."""

    @abstractmethod
    def fetch(self, store: Store, addresses: Sequence[str], tokens: Sequence[str] = (),
              options: FetchOptions | None = None, progress: Progress | None = None) -> FetchSummary:
        """Fetch the history of ``addresses`` (canonical forms), or of ``tokens``, into ``store``."""

    def balances(self, wanted: Sequence[tuple[str, str]], height: int) -> list[int | None]:
        """Balances of (address, asset) at the end of ``height``, ``None`` where the endpoint cannot say.

        The default says nothing: a trace then fetches the address's earlier history instead."""
        return [None] * len(wanted)


def registry() -> dict[str, type[Source]]:
    """Every source by the chain family it serves: the built-in ones, then plug-ins."""
    from ..plugins import load
    from .cosmos import CosmosSource
    from .evm import EvmSource
    from .solana import SolanaSource
    from .tron import TronSource

    builtins: dict[str, type[Source]] = {cls.NAME: cls for cls in (EvmSource, SolanaSource, CosmosSource,
                                                                   TronSource)}
    return load("trailscan.sources", Source, builtins, "source")  # type: ignore[type-abstract]


def open_source(client: RpcClient, chain: Chain) -> Source:
    """The source for ``chain``'s family, reading through ``client``."""
    sources = registry()
    cls = sources.get(chain.family)
    if cls is None:
        raise InputError(f"fetching {chain.name} is not supported yet",
                         hint=f"supported chain families: {', '.join(sorted(sources))}")
    return cls(client, chain)
