"""Address formats per chain family: validation and canonical form.

EVM addresses are 20-byte hex with an optional EIP-55 mixed-case checksum; stored lower-case.
Solana (base58, 32 bytes), Tron (base58check, 0x41 prefix) and Cosmos (bech32) are validated here
too so that label files can be checked for every chain they name; fetching those chains comes later.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from eth_hash.auto import keccak

from .errors import AddressError

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def to_checksum(address: str) -> str:
    """EIP-55 checksummed form of a 20-byte hex address (any case in)."""
    lower = address[2:].lower()
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(lower))


def normalize_evm(address: str) -> str:
    """Validate an EVM address and return its canonical lower-case form.

    All-lower or all-upper hex is accepted without a checksum (as EIP-55 allows); mixed case must match.
    """
    text = address.strip()
    if not _HEX40.match(text):
        if re.fullmatch(r"[0-9a-fA-F]{40}", text):
            raise AddressError(address, "missing 0x prefix", hint="write it as 0x" + text)
        raise AddressError(address, "not a 20-byte hex address", hint="an EVM address is 0x followed by 40 hex digits")
    body = text[2:]
    if body != body.lower() and body != body.upper() and to_checksum(text) != text:
        raise AddressError(
            address,
            "EIP-55 checksum mismatch (a character was probably mistyped)",
            hint="check the address at its source, or pass it all lower-case to skip the checksum",
        )
    return text.lower()


def b58decode(text: str) -> bytes:
    num = 0
    for ch in text:
        if ch not in _B58_INDEX:
            raise ValueError(f"character {ch!r} is not base58")
        num = num * 58 + _B58_INDEX[ch]
    raw = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + raw


def normalize_solana(address: str) -> str:
    text = address.strip()
    try:
        raw = b58decode(text)
    except ValueError as exc:
        raise AddressError(address, str(exc)) from None
    if len(raw) != 32:
        raise AddressError(address, f"a Solana address decodes to 32 bytes, this one to {len(raw)}")
    return text


def normalize_tron(address: str) -> str:
    text = address.strip()
    try:
        raw = b58decode(text)
    except ValueError as exc:
        raise AddressError(address, str(exc)) from None
    if len(raw) != 25 or raw[0] != 0x41:
        raise AddressError(address, "a Tron address is base58check of 0x41 + 20 bytes (it starts with T)")
    check = hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4]
    if check != raw[21:]:
        raise AddressError(address, "base58check checksum mismatch (a character was probably mistyped)")
    return text


def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def bech32_decode(text: str) -> tuple[str, list[int]]:
    """Decode a bech32 string into (human-readable prefix, 5-bit data without checksum)."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > 90:
        raise ValueError("no valid separator")
    hrp, data_part = text[:pos], text[pos + 1 :]
    if any(c not in _BECH32 for c in data_part):
        raise ValueError("character outside the bech32 alphabet")
    data = [_BECH32.index(c) for c in data_part]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + data) != 1:
        raise ValueError("checksum mismatch")
    return hrp, data[:-6]


def bech32_encode(hrp: str, data: list[int]) -> str:
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = _bech32_polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool = True) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (to_bits - bits)) & maxv)
    return out


def make_bech32_normalizer(prefix: str) -> Callable[[str], str]:
    def normalize(address: str) -> str:
        text = address.strip()
        try:
            hrp, data = bech32_decode(text)
        except ValueError as exc:
            raise AddressError(address, f"not bech32: {exc}") from None
        if hrp != prefix:
            raise AddressError(address, f"prefix {hrp!r} is not {prefix!r}")
        if len(convert_bits(data, 5, 8, pad=False)) not in (20, 32):
            raise AddressError(address, "a Cosmos address holds 20 or 32 bytes")
        return text.lower()

    return normalize
