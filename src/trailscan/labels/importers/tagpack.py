"""GraphSense TagPack YAML (graphsense/graphsense-tagpacks): read as trailscan reads its own packs.

Older packs of that repository give no confidence at all (neither in the header nor on the tags): their tags
are imported with ``--confidence`` or else ``unknown`` (5), and marked so (see run.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..tagpack import CONFIDENCE_MARKER, parse_pack
from ..writer import tag_fields
from .base import Draft, ImportContext, Importer


class GraphSenseTagPack(Importer):
    NAME = "tagpack"
    HELP = ("GraphSense TagPack YAML (header fields inherited by every tag); tags on unknown networks are skipped, "
            "tags without confidence get --confidence or unknown")
    DATASET = "graphsense/graphsense-tagpacks"
    FILE_HINT = "packs/<name>.yaml"
    DEFAULT_CONFIDENCE = "unknown"  # only used where the pack gives none
    ORIGIN = "graphsense"  # unless the pack names another origin, or its source is Etherscan
    PER_TAG_CONFIDENCE = True

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        pack = parse_pack(ctx.text, ctx.shown, skip_unknown=True, missing_confidence=self.DEFAULT_CONFIDENCE)
        if pack.problems:
            raise pack.problems[0].error()
        for network, count in pack.skipped.items():
            ctx.skipped[f"tags on network {network} (not a chain trailscan knows)"] = count
        for tag in pack.tags:
            fields = {k: str(v) for k, v in tag_fields(tag).items() if k != CONFIDENCE_MARKER}
            if tag.confidence_defaulted:
                del fields["confidence"]  # the source gave none: the import decides (and marks) it
            if "origin" not in fields and "etherscan" in tag.source.lower():
                fields["origin"] = "etherscan"
            yield Draft(tag.line, fields)
