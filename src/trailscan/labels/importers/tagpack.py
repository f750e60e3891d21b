"""GraphSense TagPack YAML (graphsense/graphsense-tagpacks): read as trailscan reads its own packs."""

from __future__ import annotations

from collections.abc import Iterator

from ..tagpack import parse_pack
from ..writer import tag_fields
from .base import Draft, ImportContext, Importer


class GraphSenseTagPack(Importer):
    NAME = "tagpack"
    HELP = "GraphSense TagPack YAML (header fields inherited by every tag); tags on unknown networks are skipped"
    DATASET = "graphsense/graphsense-tagpacks"
    FILE_HINT = "packs/<name>.yaml"
    DEFAULT_CONFIDENCE = "unknown"  # only used where the pack gives none

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        pack = parse_pack(ctx.text, ctx.shown, skip_unknown=True)
        if pack.problems:
            raise pack.problems[0].error()
        for network, count in pack.skipped.items():
            ctx.skipped[f"tags on network {network} (not a chain trailscan knows)"] = count
        for tag in pack.tags:
            fields = {k: str(v) for k, v in tag_fields(tag).items()}
            if "origin" not in fields and "etherscan" in tag.source.lower():
                fields["origin"] = "etherscan"
            yield Draft(tag.line, fields)
