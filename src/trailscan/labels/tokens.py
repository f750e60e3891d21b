"""The token registry (``tokens.yaml``): symbol, decimals (None when no source states them) and stablecoin flag."""

from __future__ import annotations

from pathlib import Path

from ..errors import AddressError, ChainError, LabelError
from .model import Problem, TokenInfo
from .tagpack import resolve_network
from .yamlread import YMap, decode, parse_file

TOKEN_FIELDS = frozenset({"network", "address", "asset", "symbol", "name", "decimals", "stablecoin", "native",
                          "source"})
_BOOLS = {"true": True, "false": False}


def read_tokens(path: Path, *, display: str | None = None) -> tuple[list[TokenInfo], list[Problem]]:
    shown = display or str(path)
    try:
        doc = parse_file(decode(path.read_bytes(), shown), shown, "tokens")
    except OSError as exc:
        raise LabelError(f"cannot read token registry: {exc.strerror}", path=shown) from None
    except LabelError as exc:
        return [], [Problem.from_error(exc)]
    if not isinstance(doc, YMap) or not isinstance(doc.values.get("tokens"), list):
        return [], [Problem(shown, 1, "a token registry is a mapping with a 'tokens:' list")]
    tokens: list[TokenInfo] = []
    problems: list[Problem] = []
    items = doc.values["tokens"]
    assert isinstance(items, list)
    for item in items:
        if not isinstance(item, YMap):
            problems.append(Problem(shown, doc.line_of("tokens"), "each token must be a mapping"))
            continue
        try:
            tokens.append(_token(item, shown))
        except LabelError as exc:
            problems.append(Problem.from_error(exc))
    return tokens, problems


def _token(item: YMap, path: str) -> TokenInfo:
    values = item.values
    for key in values.keys() - TOKEN_FIELDS:
        raise LabelError(f"unknown token field {key[:60]!r}", path=path, line=item.line_of(key))
    text = {k: v for k, v in values.items() if isinstance(v, str)}
    for key in ("network", "symbol", "name", "source"):
        if key not in text:
            raise LabelError(f"token is missing {key!r}", path=path, line=item.line)
    try:
        chain = resolve_network(text["network"])
        asset = chain.address(text["address"]) if "address" in text else text.get("asset", "")
    except (ChainError, AddressError) as exc:
        raise LabelError(exc.message, path=path, line=item.line, hint=exc.hint) from None
    if not asset:
        raise LabelError("token needs 'address' or 'asset'", path=path, line=item.line)
    decimals = values.get("decimals")
    if decimals is not None and not (isinstance(decimals, str) and decimals.isdigit() and int(decimals) <= 255):
        raise LabelError("decimals must be an integer 0-255 or null (unknown)", path=path,
                         line=item.line_of("decimals"))
    flags = {}
    for key in ("stablecoin", "native"):
        raw = values.get(key, "false")
        if not isinstance(raw, str) or raw.lower() not in _BOOLS:
            raise LabelError(f"{key} must be true or false", path=path, line=item.line_of(key))
        flags[key] = _BOOLS[raw.lower()]
    return TokenInfo(chain.key, asset, text["symbol"], text["name"],
                     int(decimals) if isinstance(decimals, str) else None, flags["stablecoin"], flags["native"],
                     text["source"])
