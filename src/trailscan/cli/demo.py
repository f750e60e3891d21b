"""`trailscan demo`: the story world on a local anvil, investigated with the real commands through its RPC.

Each step is a trailscan command, printed as a user would type it and run through the same entry point; the
answers are then compared with the world's ground truth. Nothing here traces or clusters by itself.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shlex
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from ..devnet import demo as world_module
from ..devnet.story import AIRDROP_TOKEN, PACK, Story
from ..errors import InputError, TrailscanError
from ..output import Format, render
from ..store import Store

MARKER = ".trailscan-demo"
# the demo's commands name their endpoint, store and labels; none of the user's defaults may leak in
MASKED = ("TRAILSCAN_RPC_URL", "ETH_RPC_URL", "TRAILSCAN_STORE", "TRAILSCAN_LABELS")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's store, reports and exports (made if "
                                      "missing; a folder of an earlier demo is emptied first).")] = Path(
                                          "trailscan-demo"),
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build the story world again instead of loading its "
                                          "cached state.")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Keep the local chain running at the end, to try "
                                        "commands against it; Ctrl-C stops it.")] = False,
) -> None:
    """Run trailscan's whole job on a local chain: a fictional AI company pays for rented GPU compute through an
    intermediary, a broker, exchanges and GPU marketplaces. Fetch, cluster, trace, report, screen and export,
    then check every figure against the world's ground truth."""
    _prepare(out)
    typer.echo("trailscan demo: a fictional AI company pays for rented GPU compute; follow its money.\n")
    world = world_module.open_world(rebuild=rebuild)
    try:
        story, url = world.story, world.node.url
        how = "loaded from its cached state" if world.cached else "built (the next run loads it from a cache)"
        typer.echo(f"local chain: anvil at {url} (chain id 1), {story.head_block} blocks, {story.transfer_logs:,} "
                   f"token transfers, {how} in {world.seconds:.1f} s")
        files = _case_files(out, story)
        with _masked():
            _investigate(out, story, url, files)
            checks = _check(out, story)
        if serve:
            typer.echo(f"\nthe local chain keeps running at {url}; try e.g. trailscan doctor --rpc {url}"
                       "\nCtrl-C stops it")
            with contextlib.suppress(KeyboardInterrupt):
                world.node.process.wait()
    finally:
        world.stop()
    failed = [c for c in checks if not c.ok]
    if failed:
        raise TrailscanError(f"{len(failed)} of {len(checks)} figures differ from the story's ground truth "
                             f"(see {out / 'check.json'})", hint="run again with --rebuild; if it persists, "
                             "please report it")


def _prepare(out: Path) -> None:
    """An empty output folder: a new one, an empty one, or one an earlier demo wrote (emptied). Never anything
    else: the demo does not delete files it did not write."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file", hint="give a folder path")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise InputError(f"--out {out} is not empty and was not written by trailscan demo",
                             hint="give a new or empty folder")
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by trailscan demo; a rerun empties this folder\n", encoding="utf-8")


@contextlib.contextmanager
def _masked() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in MASKED if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _case_files(out: Path, story: Story) -> dict[str, Path]:
    """The case an investigator would have: the ground truth, a case label set, the wallets and the policy."""
    labels = out / "labels"
    labels.mkdir()
    shutil.copyfile(PACK, labels / PACK.name)
    files = {"truth": out / "truth.json", "labels": labels, "wallets": out / "wallets.csv",
             "policy": out / "policy.yaml", "store": out / "case.duckdb"}
    files["truth"].write_text(json.dumps(story.to_json(), indent=1) + "\n", encoding="utf-8")
    files["wallets"].write_text(world_module.wallets_csv(story), encoding="utf-8")
    shutil.copyfile(world_module.POLICY, files["policy"])
    return files


def _run(note: str, *args: str | Path) -> None:
    from . import main  # the same entry point a user's shell reaches

    words = [str(a) for a in args]
    typer.echo(f"\n# {note}\n$ trailscan {shlex.join(words)}", color=False)
    started = time.monotonic()
    if main(words) != 0:
        raise TrailscanError(f"the demo step 'trailscan {words[0]}' failed (its error is above)")
    typer.echo(f"({time.monotonic() - started:.1f} s)")


def _investigate(out: Path, story: Story, url: str, f: dict[str, Path]) -> None:
    seed, ops = story.actors["ai-company"].addresses
    s, lab = f["store"], f["labels"]
    _run("Is the endpoint what it claims? Chain id, head, and which history methods it serves.",
         "doctor", "--rpc", url)
    _run("Start from the one wallet the case names: the AI company's treasury.",
         "fetch", "--rpc", url, "--address", seed, "--store", s)
    _run("A second question: who farmed the XDROP airdrop? Fetch every transfer of the token.",
         "fetch", "--rpc", url, "--token", AIRDROP_TOKEN, "--store", s)
    _run("Follow the treasury's money; every address the trail reaches is fetched on demand.",
         "trace", seed, "--rpc", url, "--labels", lab, "--store", s, "--format", "json",
         "--out", out / "first-trace.json")
    _run("Cluster what was fetched: deposit-address reuse, airdrop farming, self-authorization.",
         "cluster", "--rpc", url, "--labels", lab, "--store", s)
    _run("Why is the operations wallet the treasury's? The evidence, transaction by transaction.",
         "explain", seed, ops, "--store", s)
    _run("Trace again, now entity by entity: the answer, exposure by actor and endpoint, and the paths.",
         "trace", seed, "--rpc", url, "--labels", lab, "--store", s)
    _run("The same trace as a self-contained HTML report.",
         "trace", seed, "--labels", lab, "--store", s, "--format", "html", "--out", out / "report.html")
    _run("And as JSON, every amount exact.",
         "trace", seed, "--labels", lab, "--store", s, "--format", "json", "--out", out / "trace.json")
    _run("Screen a list of wallets under a policy; what they reach is fetched on demand.",
         "batch", f["wallets"], "--policy", f["policy"], "--out", out / "batch", "--rpc", url, "--labels", lab,
         "--store", s)
    _run("Export the traced graph for Gephi.",
         "export-graph", seed, "--labels", lab, "--store", s, "--as", "gexf", "--out", out / "trace.gexf")


def _check(out: Path, story: Story) -> list[world_module.Check]:
    result = json.loads((out / "trace.json").read_text(encoding="utf-8"))["results"][0]
    with Store(out / "case.duckdb", read_only=True) as db:
        cluster_of = {str(a): str(c) for a, c in db.con.execute(
            "SELECT address, cluster_id FROM clusters WHERE chain = 'eip155:1'").fetchall()}
    with (out / "batch" / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    planted = [a for c in story.clusters for a in c.addresses]
    checks = (world_module.check_trace(story, result)
              + world_module.check_clusters(story, {a: cluster_of.get(a) for a in planted})
              + world_module.check_flags(story, rows))
    (out / "check.json").write_text(json.dumps([{"what": c.what, "expected": c.expected, "found": c.found,
                                                 "ok": c.ok} for c in checks], indent=1) + "\n", encoding="utf-8")
    typer.echo("")
    render([{"check": c.what, "expected": c.expected, "found": c.found, "ok": "yes" if c.ok else "NO"}
            for c in checks], Format.table, command="demo",
           title=f"ground truth check: {sum(c.ok for c in checks)} of {len(checks)} planted figures found")
    typer.echo("\nwritten:")
    for path, what in ((out / "report.html", "the HTML report of the treasury's trail (open it in a browser)"),
                       (out / "trace.json", "the same trace as JSON"),
                       (out / "batch" / "index.html", "the batch screening, with summary.csv and summary.xlsx"),
                       (out / "trace.gexf", "the traced graph for Gephi"),
                       (out / "case.duckdb", "the store: try 'trailscan transfers ADDRESS --store ...'"),
                       (out / "truth.json", "the story's ground truth"),
                       (out / "check.json", "the check above")):
        typer.echo(f"  {path}  {what}")
    return checks
