"""The category taxonomy and the GraphSense confidence scale: the vocabulary every tag is checked against."""

from __future__ import annotations

# GraphSense's confidence scale (name -> score). Tags may give either the name or the number.
CONFIDENCE: dict[str, int] = {
    "ownership": 100,
    "manual_transaction": 90,
    "service_api": 70,
    "authority_data": 60,
    "trusted_provider": 50,
    "service_data": 50,
    "forensic": 50,
    "untrusted_transaction": 40,
    "web_crawl": 20,
    "heuristic": 10,
    "unknown": 5,
}

# Categories trailscan adds for GPU-compute payment tracing.
TRAILSCAN_CATEGORIES: dict[str, str] = {
    "gpu-marketplace": "contract, program or account of a GPU/compute marketplace (payments, escrow, staking)",
    "gpu-token": "token (or native denom) used to pay for GPU compute",
    "gpu-broker": "business reselling GPU capacity",
    "cloud-provider": "cloud provider selling compute",
    "cloud-reseller": "reseller of cloud capacity",
    "data-centre": "data-centre operator",
    "exchange": "centralised exchange wallet (hot, cold, reserve)",
    "exchange-deposit": "deposit address of an exchange customer",
    "otc-desk": "over-the-counter trading desk",
    "bridge": "cross-chain bridge contract or escrow",
    "dex": "decentralised exchange contract",
    "mixer": "mixing service",
    "sanctioned": "address on a sanctions list",
    "stablecoin": "stablecoin contract",
    "payment-processor": "crypto payment processor",
    "other": "known entity outside every other category",
}

# GraphSense concepts (from its public concepts taxonomy) accepted as they are, so imported packs keep them.
GRAPHSENSE_CONCEPTS: dict[str, str] = {
    name: "GraphSense concept"
    for name in (
        "entity", "organization", "exchange", "defi", "defi_dex", "defi_lending", "defi_bridge", "miner",
        "mining_service", "market", "payment_processor", "wallet_service", "mixing_service", "coinjoin",
        "gambling", "hosting", "shop", "donation", "faucet", "ico_wallet", "perpetrator", "scam",
        "ransomware", "sextortion", "phishing", "ponzi_scheme", "hacker", "theft", "user", "service",
        "vasp", "smart_contract", "token", "stablecoin", "bridge", "dex", "unknown",
    )
}

CATEGORIES: dict[str, str] = {**GRAPHSENSE_CONCEPTS, **TRAILSCAN_CATEGORIES}

# Categories whose tags match at token level (see registry.LabelSet.match_transfer).
TOKEN_CATEGORY = "gpu-token"
MARKETPLACE_CATEGORY = "gpu-marketplace"


def is_category(name: str) -> bool:
    return name in CATEGORIES


def parse_confidence(value: object) -> tuple[int, str | None] | None:
    """(score, name) for a confidence given by name or as an integer 0..100; None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, _name_for(value)) if 0 <= value <= 100 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in CONFIDENCE:
        return CONFIDENCE[text], text
    if text.isdigit() and int(text) <= 100:
        return int(text), _name_for(int(text))
    return None


def _name_for(score: int) -> str | None:
    for name, value in CONFIDENCE.items():
        if value == score:
            return name
    return None


def confidence_help() -> str:
    return ", ".join(f"{name} ({score})" for name, score in CONFIDENCE.items())


# Categories of services: addresses that act for many people. Clustering never links through them, and
# tracing stops at them. Both trailscan's own names and GraphSense concepts.
SERVICE_CATEGORIES: frozenset[str] = frozenset({
    "exchange", "exchange-deposit", "gpu-marketplace", "gpu-broker", "cloud-provider", "cloud-reseller",
    "data-centre", "otc-desk", "bridge", "dex", "mixer", "payment-processor", "stablecoin", "gpu-token",
    "defi", "defi_dex", "defi_lending", "defi_bridge", "mining_service", "market", "payment_processor",
    "wallet_service", "mixing_service", "coinjoin", "gambling", "hosting", "shop", "service", "vasp",
    "smart_contract", "token", "faucet",
})
# Categories whose addresses receive customers' deposits (the deposit-reuse heuristic's destinations).
EXCHANGE_CATEGORIES: frozenset[str] = frozenset({"exchange", "vasp"})
