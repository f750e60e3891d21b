"""Address formats per chain family, and the chain registry."""

from __future__ import annotations

import pytest

from trailscan.addresses import bech32_encode, convert_bits, to_checksum
from trailscan.chains import get_chain
from trailscan.errors import AddressError, ChainError

USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


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
