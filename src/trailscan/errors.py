"""One error hierarchy: every failure trailscan expects carries what went wrong and how to fix it."""

from __future__ import annotations


class TrailscanError(Exception):
    """Base class for every error trailscan reports to a user.

    ``str(err)`` is a single line suitable for ``Error: ...``; ``hint`` says how to fix it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = self.message if not self.hint else f"{self.message}; {self.hint}"
        return " ".join(text.split())  # always one line


class InputError(TrailscanError):
    """A value given by the user (address, chain, block range, option combination) is invalid."""


class AddressError(InputError):
    """An address is malformed or fails its checksum."""

    def __init__(self, address: str, reason: str, *, hint: str | None = None) -> None:
        shown = address if len(address) <= 80 else address[:77] + "..."
        super().__init__(f"invalid address {shown!r}: {reason}", hint=hint)
        self.address = address


class ChainError(InputError):
    """An unknown chain name or id."""


class RpcError(TrailscanError):
    """A JSON-RPC endpoint failed in a way retries could not fix."""

    def __init__(
        self, message: str, *, endpoint: str = "", hint: str | None = None, code: int | None = None
    ) -> None:
        where = f" ({endpoint})" if endpoint else ""
        super().__init__(f"{message}{where}", hint=hint)
        self.endpoint = endpoint
        self.code = code


class RpcUnreachable(RpcError):
    """No connection could be made, or every retry timed out."""


class RpcProtocolError(RpcError):
    """The endpoint answered something that is not valid JSON-RPC (HTML, truncated JSON, wrong ids)."""


class RpcChainMismatch(RpcError):
    """The endpoint serves another chain than the one asked for."""


class RangeTooLarge(RpcError):
    """The provider refused a log query for its block range or result size (internal: triggers bisection)."""


class StoreError(TrailscanError):
    """The embedded store cannot be opened, is locked, or has an unknown schema version."""


class LabelError(TrailscanError):
    """A label file is malformed; carries the file and line."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None, hint: str | None = None):
        where = f"{path}:{line}: " if path and line is not None else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint=hint)
        self.path = path
        self.line = line
