"""Address formats per chain family: validation and canonical form.

EVM addresses are 20-byte hex with an optional EIP-55 mixed-case checksum; stored lower-case.
Solana (base58, 32 bytes), Tron (base58check of 0x41 + 20 bytes, starting with T) and Cosmos (bech32) are
checked with the ``base58`` and ``bech32`` packages. An address of another family gets an error that names the
family it belongs to and the form the chain expects (a 0x address given for Tron, a cosmos1 address for Akash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import base58
import bech32
from eth_hash.auto import keccak

from .errors import AddressError

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")
_TRON_HEX = re.compile(r"^41[0-9a-fA-F]{40}$")
_B58_ALPHABET = frozenset(base58.BITCOIN_ALPHABET.decode())
_BECH32_ALPHABET = frozenset(bech32.CHARSET)
_TRON_PREFIX = 0x41

# What each family's addresses look like, for "this is X, but Y" errors.
_EXPECTED = {
    "evm": "EVM addresses are 0x followed by 40 hex digits",
    "solana": "solana addresses are base58 of 32 bytes",
    "tron": "tron addresses are base58check starting with T",
}


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
        other = _family_of(text)
        if other is not None:
            raise AddressError(address, f"this is {other}, but {_EXPECTED['evm']}",
                               hint="pick the chain the address belongs to with --chain")
        raise AddressError(address, "not a 20-byte hex address", hint="an EVM address is 0x followed by 40 hex digits")
    body = text[2:]
    if body != body.lower() and body != body.upper() and to_checksum(text) != text:
        raise AddressError(
            address,
            "EIP-55 checksum mismatch (a character was probably mistyped)",
            hint="check the address at its source, or pass it all lower-case to skip the checksum",
        )
    return text.lower()


# -- base58 ---------------------------------------------------------------------------------------------------


def b58decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); ``ValueError`` names the first character outside the alphabet."""
    for ch in text:
        if ch not in _B58_ALPHABET:
            raise ValueError(f"character {ch!r} is not base58")
    return base58.b58decode(text)


def normalize_solana(address: str) -> str:
    text = address.strip()
    _refuse_other_family(address, text, "solana",
                         "pass the address as Solana shows it (base58), or pick the address's chain with --chain")
    try:
        raw = b58decode(text)
    except ValueError as exc:
        raise AddressError(address, str(exc)) from None
    if len(raw) != 32:
        raise AddressError(address, f"a Solana address decodes to 32 bytes, this one to {len(raw)}")
    return text


# -- Tron -----------------------------------------------------------------------------------------------------


def normalize_tron(address: str) -> str:
    """Validate a Tron address and return its canonical base58check form (T...); the hex form 41... is accepted."""
    text = address.strip()
    if _TRON_HEX.match(text):
        return tron_from_hex(text)
    if _HEX40.match(text):
        raise AddressError(address, f"this is an EVM (hex) address, but {_EXPECTED['tron']}",
                           hint=f"the same 20 bytes are written {tron_from_hex(text)} on Tron: pass the address as "
                                "Tron shows it")
    _refuse_other_family(address, text, "tron", "pass the address as Tron shows it (T...), or pick the address's "
                                                "chain with --chain")
    try:
        raw = b58decode(text)
    except ValueError as exc:
        raise AddressError(address, str(exc)) from None
    if len(raw) != 25 or raw[0] != _TRON_PREFIX:
        raise AddressError(address, "a Tron address is base58check of 0x41 + 20 bytes (it starts with T)")
    try:
        base58.b58decode_check(text)
    except ValueError:
        raise AddressError(address, "base58check checksum mismatch (a character was probably mistyped)",
                           hint="check the address at its source") from None
    return text


def tron_to_hex(address: str) -> str:
    """The 21-byte hex form (``41`` + 20 bytes, lower-case) of a Tron address given as T..., 41... or 0x..."""
    text = address.strip()
    if _TRON_HEX.match(text):
        return text.lower()
    if _HEX40.match(text):
        return "41" + text[2:].lower()
    return base58.b58decode_check(normalize_tron(text)).hex()


def tron_from_hex(value: str) -> str:
    """The base58check form (T...) of a Tron address given as 21-byte hex (``41`` + 40 digits) or 20-byte ``0x`` hex."""
    text = value.strip()
    if _TRON_HEX.match(text):
        raw = bytes.fromhex(text)
    elif _HEX40.match(text):
        raw = bytes([_TRON_PREFIX]) + bytes.fromhex(text[2:])
    else:
        raise AddressError(value, "not a Tron hex address",
                           hint="a Tron hex address is 41 followed by 40 hex digits (or 0x and 40 hex digits)")
    return base58.b58encode_check(raw).decode()


# -- bech32 ---------------------------------------------------------------------------------------------------


def bech32_decode(text: str) -> tuple[str, list[int]]:
    """Decode a bech32 string into (human-readable prefix, 5-bit data without checksum)."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    lower = text.lower()
    pos = lower.rfind("1")
    if pos < 1 or pos + 7 > len(lower) or len(lower) > 90:
        raise ValueError("no valid separator")
    if any(c not in _BECH32_ALPHABET for c in lower[pos + 1:]):
        raise ValueError("character outside the bech32 alphabet")
    hrp, data = bech32.bech32_decode(lower)
    if hrp is None or data is None:
        raise ValueError("checksum mismatch")
    return hrp, data


def bech32_encode(hrp: str, data: list[int]) -> str:
    return bech32.bech32_encode(hrp, data)


def convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool = True) -> list[int]:
    """Regroup ``from_bits``-bit values into ``to_bits``-bit values (8 -> 5 to encode bech32, 5 -> 8 to decode)."""
    out = bech32.convertbits(list(data), from_bits, to_bits, pad)
    if out is None:
        raise ValueError(f"cannot regroup the data into {to_bits}-bit values")
    return out


def make_bech32_normalizer(prefix: str) -> Callable[[str], str]:
    expected = f"{prefix} addresses are bech32 starting with {prefix}1"

    def normalize(address: str) -> str:
        text = address.strip()
        if _HEX40.match(text):
            raise AddressError(address, f"this is an EVM (hex) address, but {expected}",
                               hint=f"pass the {prefix}1... address as the chain shows it")
        try:
            hrp, data = bech32_decode(text)
        except ValueError as exc:
            other = _family_of(text)
            if other is not None:
                raise AddressError(address, f"this is {other}, but {expected}",
                                   hint=f"pass the {prefix}1... address, or pick the address's chain with --chain",
                                   ) from None
            raise AddressError(address, f"not bech32: {exc}") from None
        if hrp != prefix:
            raise AddressError(address, f"this is a bech32 address with prefix {hrp!r}, but {expected}",
                               hint=f"pass an {prefix}1... address, or pick the chain whose prefix is {hrp!r}")
        try:
            size = len(convert_bits(data, 5, 8, pad=False))
        except ValueError:
            size = -1
        if size not in (20, 32):
            raise AddressError(address, "a Cosmos address holds 20 or 32 bytes")
        return text.lower()

    return normalize


# -- telling families apart -------------------------------------------------------------------------------------


def _family_of(text: str) -> str | None:
    """Which family's well-formed address ``text`` is ("an EVM (hex) address", ...), or None."""
    if _HEX40.match(text):
        return "an EVM (hex) address"
    if text and all(ch in _B58_ALPHABET for ch in text):
        raw = base58.b58decode(text)
        if len(raw) == 25 and raw[0] == _TRON_PREFIX and _b58check_ok(text):
            return "a Tron (base58check) address"
        if len(raw) == 32:
            return "a Solana (base58) address"
    try:
        hrp, _ = bech32_decode(text)
    except ValueError:
        return None
    return f"a bech32 address with prefix {hrp!r}"


def _b58check_ok(text: str) -> bool:
    try:
        base58.b58decode_check(text)
    except ValueError:
        return False
    return True


def _refuse_other_family(address: str, text: str, family: str, hint: str) -> None:
    """Raise a "this is X, but <family> addresses are Y" error when ``text`` is a well-formed address of another
    family; return when it is not (so that its own validation says what is wrong)."""
    other = _family_of(text)
    if other is None or (family == "tron" and other.startswith("a Tron")) or (
            family == "solana" and other.startswith("a Solana")):
        return
    raise AddressError(address, f"this is {other}, but {_EXPECTED[family]}", hint=hint)


# -- Cosmos module accounts -------------------------------------------------------------------------------------


def module_address(prefix: str, name: str) -> str:
    """The account of the Cosmos SDK module ``name`` (x/auth ``NewModuleAddress``): the first 20 bytes of
    sha256(name), in bech32 with the chain's ``prefix``."""
    words = bech32.convertbits(hashlib.sha256(name.encode()).digest()[:20], 8, 5)
    if words is None:  # pragma: no cover - 8-to-5 bit conversion of whole bytes always succeeds
        raise ValueError(name)
    return str(bech32.bech32_encode(prefix, words))
