"""Label importers: one module per public format, every importer listed once in ``IMPORTERS``.

Third-party importers register through the ``trailscan.label_importers`` entry-point group (each entry
point names an ``Importer`` subclass); they are checked like the built-in ones.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from ...errors import InputError
from .base import Draft, ImportContext, Importer, ImportOptions
from .eth_labels import EthLabelsAccounts, EthLabelsTokens
from .etherscan_labels import EtherscanAccounts, EtherscanCombined, EtherscanTokens
from .generic_csv import GenericCsv
from .ofac import OfacJson, OfacTxt
from .tagpack import GraphSenseTagPack

ENTRY_POINT_GROUP = "trailscan.label_importers"

BUILT_IN: tuple[type[Importer], ...] = (
    EthLabelsAccounts,
    EthLabelsTokens,
    EtherscanAccounts,
    EtherscanTokens,
    EtherscanCombined,
    GraphSenseTagPack,
    OfacTxt,
    OfacJson,
    GenericCsv,
)


def importers() -> dict[str, type[Importer]]:
    """Every importer by NAME: the built-in ones, then those from installed plug-ins."""
    found = {cls.NAME: cls for cls in BUILT_IN}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        cls = point.load()
        if isinstance(cls, type) and issubclass(cls, Importer) and cls.NAME not in found:
            found[cls.NAME] = cls
    return found


def get_importer(name: str) -> type[Importer]:
    table = importers()
    if name not in table:
        raise InputError(f"unknown import format {name[:60]!r}", hint="use one of " + ", ".join(table))
    return table[name]


__all__ = ["BUILT_IN", "Draft", "ImportContext", "ImportOptions", "Importer", "get_importer", "importers"]
