"""Labels derived from the chains' rules: Cosmos module accounts, computed rather than copied."""

from __future__ import annotations

from pathlib import Path

from trailscan.addresses import module_address
from trailscan.labels import load_labels
from trailscan.labels.derived import derived_tags


def test_akash_escrow_is_derived_and_labeled_a_gpu_marketplace() -> None:
    (tag,) = derived_tags()
    # the escrow module's account, as Akash's own docs show deployment deposits going to it
    assert tag.address == module_address("akash", "escrow") == "akash14pphss726thpwws3yc458hggufynm9x77l4l2u"
    assert (tag.chain, tag.category, tag.actor) == ("cosmos:akashnet-2", "gpu-marketplace", "akash")
    assert tag.source.startswith("derived: the Cosmos SDK account of module 'escrow' on akashnet-2")
    assert tag.cited == "derived by trailscan.chains (akash)"
    (found,) = load_labels([]).lookup("cosmos:akashnet-2", tag.address)
    assert found == tag


def test_a_case_label_overrides_a_derived_one(tmp_path: Path) -> None:
    address = module_address("akash", "escrow")
    (tmp_path / "case.yaml").write_text(
        "title: case\ncreator: analyst\nsource: analyst notes\nconfidence: manual_transaction\nnetwork: akash\n"
        f"tags:\n- address: {address}\n  label: escrow as the case calls it\n  category: other\n")
    tags = load_labels([tmp_path]).lookup("cosmos:akashnet-2", address)
    assert [t.label for t in tags] == ["escrow as the case calls it"]


def test_without_shipped_labels_nothing_is_derived(tmp_path: Path) -> None:
    assert not load_labels([tmp_path], include_shipped=False).lookup("cosmos:akashnet-2",
                                                                      module_address("akash", "escrow"))
