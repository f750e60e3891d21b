"""Labels trailscan derives from the chains' own rules instead of reading them from a file.

A Cosmos SDK module's account is not published as a fact anywhere citable; it is computed: bech32 of the first
20 bytes of sha256(module name) with the chain's prefix (x/auth ``NewModuleAddress``). The chains that declare
module accounts (``Chain.module_accounts``, e.g. Akash's ``escrow``, which holds deployment deposits and pays
leases) get a tag per module, part of the shipped set (case labels override it), its origin "derivation".
"""

from __future__ import annotations

from ..addresses import module_address
from ..chains import CHAINS
from .model import SHIPPED, Tag
from .taxonomy import CONFIDENCE


def derived_tags() -> list[Tag]:
    """One tag per declared module account of every chain."""
    tags = []
    for chain in CHAINS:
        for n, (module, label, category, actor) in enumerate(chain.module_accounts, 1):
            assert chain.prefix is not None, f"{chain.name} declares module accounts but no bech32 prefix"
            source = (f"derived: the Cosmos SDK account of module {module!r} on {chain.key.split(':', 1)[1]} is "
                      f"bech32({chain.prefix!r}, sha256({module!r})[:20]) (x/auth NewModuleAddress)")
            tags.append(Tag(chain.key, module_address(chain.prefix, module), label, source, category,
                            CONFIDENCE["ownership"], actor, f"module account of {module}", "derivation", "address",
                            f"trailscan.chains ({chain.name})", n, SHIPPED))
    return tags
