"""Address formats per chain family, and the chain registry."""

from __future__ import annotations

import hashlib

import pytest

from trailscan.addresses import (
    b58decode,
    bech32_decode,
    bech32_encode,
    convert_bits,
    to_checksum,
    tron_from_hex,
    tron_to_hex,
)
from trailscan.chains import get_chain
from trailscan.errors import AddressError, ChainError

USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_TRON_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"


def test_eip55_checksum_accepts_exact_and_single_case_forms() -> None:
    evm = get_chain("ethereum")
    assert to_checksum(USDT.lower()) == USDT
    assert evm.address(USDT) == USDT.lower()
    assert evm.address(USDT.lower()) == USDT.lower()
    assert evm.address("0x" + USDT[2:].upper()) == USDT.lower()


@pytest.mark.parametrize(("text", "reason"), [
    ("0xdac17F958D2ee523a2206206994597C13D831ec7", "EIP-55 checksum mismatch"),
    ("0xdAC17F958D2ee523a2206206994597C13D831ec", "not a 20-byte hex address"),
    ("dAC17F958D2ee523a2206206994597C13D831ec7", "missing 0x prefix"),
    ("0xgAC17F958D2ee523a2206206994597C13D831ec7", "not a 20-byte hex address"),
    ("", "not a 20-byte hex address"),
])
def test_bad_evm_addresses(text: str, reason: str) -> None:
    with pytest.raises(AddressError, match=reason):
        get_chain(1).address(text)


def test_other_families_validate_with_their_checksums() -> None:
    assert get_chain("tron").address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    with pytest.raises(AddressError, match="checksum"):
        get_chain("tron").address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u")
    assert get_chain("solana").address("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    with pytest.raises(AddressError, match="32 bytes"):
        get_chain("solana").address("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt")
    akash = bech32_encode("akash", convert_bits(bytes(range(20)), 8, 5))
    assert get_chain("akash").address(akash) == akash
    with pytest.raises(AddressError, match="checksum"):
        get_chain("akash").address(akash[:-1] + ("q" if akash[-1] != "q" else "p"))
    with pytest.raises(AddressError, match="prefix"):
        get_chain("akash").address(bech32_encode("cosmos", convert_bits(bytes(20), 8, 5)))


def test_chain_registry() -> None:
    assert {c: get_chain(c).chain_id for c in ("ethereum", "optimism", "bsc", "polygon", "base", "arbitrum",
                                               "avalanche")} == {
        "ethereum": 1, "optimism": 10, "bsc": 56, "polygon": 137, "base": 8453, "arbitrum": 42161,
        "avalanche": 43114}
    assert get_chain("137") is get_chain("polygon") is get_chain("eip155:137")
    custom = get_chain(31337)
    assert (custom.key, custom.family, custom.finality_depth) == ("eip155:31337", "evm", 64)
    assert get_chain("solana").key == "solana:mainnet" and not get_chain("solana").is_evm
    for bad in ("narnia", "0", "-5", "eip155:x"):
        with pytest.raises(ChainError, match="unknown chain"):
            get_chain(bad)


def _fictional(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()[:20]


def test_tron_hex_and_base58check_forms_convert_both_ways() -> None:
    assert tron_to_hex(USDT_TRON) == USDT_TRON_HEX
    assert tron_from_hex(USDT_TRON_HEX) == USDT_TRON
    assert tron_from_hex(USDT_TRON_HEX.upper()) == USDT_TRON
    assert tron_from_hex("0x" + USDT_TRON_HEX[2:]) == USDT_TRON
    assert tron_to_hex("0x" + USDT_TRON_HEX[2:].upper()) == USDT_TRON_HEX
    for name in ("alice", "bob", "carol"):  # fictional accounts: round trips, and every one starts with T
        address = tron_from_hex("41" + _fictional(name).hex())
        assert address.startswith("T") and len(address) == 34
        assert tron_to_hex(address) == "41" + _fictional(name).hex()
        assert get_chain("tron").address(address) == address
    # the node's hex form is accepted where a Tron address is asked for, and given back as T...
    assert get_chain("tron").address(USDT_TRON_HEX) == USDT_TRON


@pytest.mark.parametrize("text", ["42" + USDT_TRON_HEX[2:], USDT_TRON_HEX[:-2], USDT_TRON_HEX[2:], "41" + "g" * 40, ""])
def test_tron_from_hex_refuses_what_is_not_21_byte_tron_hex(text: str) -> None:
    with pytest.raises(AddressError, match="not a Tron hex address") as caught:
        tron_from_hex(text)
    assert "41 followed by 40 hex digits" in str(caught.value)


def test_tron_to_hex_validates_base58check() -> None:
    with pytest.raises(AddressError, match="checksum mismatch"):
        tron_to_hex(USDT_TRON[:-1] + "u")


def test_base58_and_bech32_decoders_say_what_is_wrong() -> None:
    assert b58decode("11" + "2") == b"\x00\x00\x01"
    with pytest.raises(ValueError, match="character 'é' is not base58"):
        b58decode("Té")
    with pytest.raises(AddressError, match="character '0' is not base58") as caught:
        get_chain("tron").address("T0" + USDT_TRON[2:])
    assert "\n" not in str(caught.value)
    address = bech32_encode("akash", convert_bits(_fictional("dave"), 8, 5))
    assert bech32_decode(address) == ("akash", convert_bits(_fictional("dave"), 8, 5))
    with pytest.raises(ValueError, match="mixed case"):
        bech32_decode(address[:8] + address[8:].upper())
    with pytest.raises(ValueError, match="checksum mismatch"):
        bech32_decode(address[:-1] + ("q" if address[-1] != "q" else "p"))


EVM_HEX = "0x" + _fictional("erin").hex()


@pytest.mark.parametrize(("chain", "text", "reason", "hint"), [
    ("tron", EVM_HEX, "this is an EVM (hex) address, but tron addresses are base58check starting with T",
     f"the same 20 bytes are written {tron_from_hex(EVM_HEX)} on Tron"),
    ("solana", EVM_HEX, "this is an EVM (hex) address, but solana addresses are base58 of 32 bytes",
     "pass the address as Solana shows it"),
    ("akash", EVM_HEX, "this is an EVM (hex) address, but akash addresses are bech32 starting with akash1",
     "pass the akash1... address"),
    ("akash", bech32_encode("cosmos", convert_bits(_fictional("frank"), 8, 5)),
     "this is a bech32 address with prefix 'cosmos', but akash addresses are bech32 starting with akash1",
     "pick the chain whose prefix is 'cosmos'"),
    ("ethereum", USDT_TRON, "this is a Tron (base58check) address, but EVM addresses are 0x followed by 40 hex digits",
     "--chain"),
    ("solana", USDT_TRON, "this is a Tron (base58check) address, but solana addresses are base58 of 32 bytes",
     "--chain"),
    ("tron", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
     "this is a Solana (base58) address, but tron addresses are base58check starting with T", "--chain"),
    ("tron", bech32_encode("akash", convert_bits(_fictional("gina"), 8, 5)),
     "this is a bech32 address with prefix 'akash', but tron addresses are base58check starting with T", "--chain"),
])
def test_an_address_of_another_family_is_named(chain: str, text: str, reason: str, hint: str) -> None:
    with pytest.raises(AddressError) as caught:
        get_chain(chain).address(text)
    message = str(caught.value)
    assert reason in message and hint in message
    assert message.count("; ") >= 1 and "\n" not in message  # one line: what is wrong; how to fix it
