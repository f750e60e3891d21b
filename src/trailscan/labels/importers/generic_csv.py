"""Any CSV with a header row, read through a column mapping (``--map address=Wallet --map label=Name``)."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Draft, ImportContext, Importer, csv_rows

FIELDS = ("address", "label", "network", "source", "category", "confidence", "actor", "context")


class GenericCsv(Importer):
    NAME = "csv"
    HELP = "any CSV with a header row; --map FIELD=COLUMN for address, label and optionally " + ", ".join(FIELDS[2:])
    DATASET = "user"
    FILE_HINT = "<file>.csv"
    DEFAULT_CONFIDENCE = "unknown"

    def rows(self, ctx: ImportContext) -> Iterator[Draft]:
        mapping = dict(ctx.options.mapping)
        if "chain" in mapping:
            mapping["network"] = mapping.pop("chain")
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown or not {"address", "label"} <= set(mapping):
            raise ctx.fail("the column mapping needs address=COLUMN and label=COLUMN"
                           + (f"; unknown fields {', '.join(unknown)}" if unknown else ""),
                           hint="fields: " + ", ".join(FIELDS))
        if "network" not in mapping and not ctx.options.chain:
            raise ctx.fail("no chain for these labels", hint="give --chain, or map a column with --map chain=COLUMN")
        rows = csv_rows(ctx)
        first = next(rows, None)
        if first is None:
            return
        header = [h.strip() for h in first[1]]
        missing = [c for c in mapping.values() if c not in header]
        if missing:
            raise ctx.fail(f"no column {missing[0]!r} in the header", first[0],
                           hint="columns are " + ", ".join(header)[:300])
        at = {name: header.index(column) for name, column in mapping.items()}
        for line, cells in rows:
            if len(cells) < len(header):
                raise ctx.fail(f"expected {len(header)} columns, found {len(cells)}", line)
            fields = {name: cells[i].strip() for name, i in at.items() if cells[i].strip()}
            if ctx.options.chain and "network" not in fields:
                fields["network"] = ctx.options.chain
            yield Draft(line, fields)
