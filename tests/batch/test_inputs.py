"""The policy file and the wallets file: strict checks, one-line errors naming the file and line."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from trailscan.batch import ExposureRule, UnlabeledRule, WithinHopsRule, read_policy, read_wallets
from trailscan.cli import main

GOOD = """\
trace:
  direction: in
  hops: 3
  policy: fifo
  entities: false
rules:
  - name: gpu
    flag: paid GPU sellers directly
    category: [gpu-marketplace, gpu-broker]
    direct: true
    min_usd: 1_000.50
  - name: near
    flag: sanctioned near
    category: sanctioned
    within_hops: 2
  - name: lead
    flag: big lead
    unlabeled: true
    min_usd: 0
"""


def test_a_good_policy_becomes_typed_rules(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(GOOD)
    policy = read_policy(path)
    assert (policy.trace.direction, policy.trace.hops, policy.trace.policy, policy.trace.entities) == \
        ("in", 3, "fifo", False)
    gpu, near, lead = policy.rules
    assert gpu == ExposureRule("gpu", "paid GPU sellers directly", 7, ("gpu-marketplace", "gpu-broker"),
                               Fraction(2001, 2), True)
    assert near == WithinHopsRule("near", "sanctioned near", 12, ("sanctioned",), 2)
    assert lead == UnlabeledRule("lead", "big lead", 16, Fraction(0))
    assert len(policy.sha256) == 64


BAD = [
    ("rules: []\n", 1, "'rules' must be a non-empty list of rules; add at least one rule: '- name: ..., flag: ..., "
                       "category: ..., min_usd: ...'"),
    ("trace:\n  hops: 3\n", 1, "'rules' must be a non-empty list of rules; add at least one rule: '- name: ..., "
                               "flag: ..., category: ..., min_usd: ...'"),
    ("rulez: []\n", 1, "unknown key 'rulez' in top level; use rules, trace"),
    ("trace:\n  hops: 30\nrules: []\n", 2, "hops 30 is outside 1-12; use 1 to 12"),
    ("trace:\n  hops: four\n", 2, "hops must be a whole number; e.g. 'hops: 3'"),
    ("trace:\n  policy: lifo\n", 2, "unknown policy 'lifo'; use one of haircut, poison, fifo"),
    ("trace:\n  speed: 3\n", 2, "unknown key 'speed' in trace; use direction, entities, hops, policy"),
    ("rules:\n  - name: a\n    flag: b\n    category: casino\n    min_usd: 1\n", 4,
     "unknown category 'casino'; see 'trailscan labels categories'"),
    ("rules:\n  - name: a\n    flag: b\n    category: exchange\n    min_usd: lots\n", 5,
     "min_usd must be a number of USD, 0 or more; e.g. 'min_usd: 1000' or 'min_usd: 0.5'"),
    ("rules:\n  - name: a\n    flag: b\n    category: exchange\n    min_usd: 1\n    direct: maybe\n", 6,
     "direct must be true or false; write 'direct: true' or 'direct: false'"),
    ("rules:\n  - name: a\n    flag: b\n    category: exchange\n    within_hops: 2\n    min_usd: 1\n", 6,
     "unknown key 'min_usd' in a within-hops rule; use category, flag, name, within_hops"),
    ("rules:\n  - name: a\n    flag: b\n    category: exchange\n", 2,
     "the rule has no condition; give one of: {unlabeled: true, min_usd: Y}; {category: [..], within_hops: N}; "
     "{category: [..], min_usd: X, direct: true|false (optional)}"),
    ("rules:\n  - flag: b\n    unlabeled: true\n    min_usd: 1\n", 2,
     "the rule lacks 'name'; every rule has a name and a flag text"),
    ("rules:\n  - name: a\n    flag: b\n    unlabeled: false\n    min_usd: 1\n", 4,
     "unlabeled must be true in an unlabeled rule; write 'unlabeled: true', or use 'category:' for labeled endpoints"),
    ("rules:\n  - name: a\n    flag: b\n    unlabeled: true\n    min_usd: 1\n  - name: a\n    flag: c\n"
     "    unlabeled: true\n    min_usd: 2\n", 6,
     "duplicate rule name 'a' (first on line 2); give every rule its own name"),
    ("rules:\n  - name: a\n    name: b\n", 3, "duplicate key 'name' (first on line 2)"),
    ("rules: &x\n  - name: a\n", 1, "YAML anchors (&name) are not allowed"),
    ("- just a list\n", 1, "the policy must be a mapping with 'rules:' (and optionally 'trace:'); see 'trailscan batch "
                           "--help' and the README for the schema"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_a_bad_policy_is_one_line_with_file_and_line(tmp_path: Path, text: str, line: int, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    wallets = tmp_path / "wallets.csv"
    wallets.write_text("address\n0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n")
    out = tmp_path / "out"
    assert main(["batch", str(wallets), "--policy", str(policy), "--out", str(out), "--store",
                 str(tmp_path / "none.duckdb")]) == 1
    assert capsys.readouterr().err == f"Error: {policy}:{line}: {message}\n"
    assert not out.exists()


def test_wallet_headers_accept_a_bom_and_any_case(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes("\ufeff Address ,Chain,REFERENCE,extra\n\n0x70997970C51812dc3A010C7d01b50e0d17dc79C8,polygon,"
                     "case 1,x\n,ethereum,empty\n".encode())
    first, empty = read_wallets(path)
    assert (first.row, first.line, first.chain, first.address, first.reference) == \
        (1, 3, "eip155:137", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "case 1")
    assert (empty.row, empty.line, empty.error, empty.key) == (2, 4, "no address in this row", None)


@pytest.mark.parametrize(("data", "message"), [
    (b"wallet,chain\n0xabc,ethereum\n", "{path}:1: no 'address' column in the header (wallet, chain); the first row "
                                        "names the columns: address, and optionally chain and reference"),
    (b"\n\naddr\n", "{path}:3: no 'address' column in the header (addr); the first row names the columns: address, "
                    "and optionally chain and reference"),
    (b"", "{path}:1: the wallets file is empty; write a header row 'address,chain,reference' and one wallet per row"),
    (b"address\n0x\xff\n", "{path}:2: not UTF-8 text; save the file as UTF-8 CSV"),
])
def test_a_bad_wallets_file_is_one_line(tmp_path: Path, data: bytes, message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    wallets = tmp_path / "wallets.csv"
    wallets.write_bytes(data)
    policy = tmp_path / "policy.yaml"
    policy.write_text(GOOD)
    assert main(["batch", str(wallets), "--policy", str(policy), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == "Error: " + message.format(path=wallets) + "\n"


def test_the_examples_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "examples"
    policy = read_policy(root / "policy.yaml")
    assert {r.name for r in policy.rules} >= {"gpu-marketplace", "sanctioned-near"}
    assert [w.error for w in read_wallets(root / "wallets.csv")] == [None] * 7


def test_a_state_line_cut_short_by_a_kill_is_ignored_and_closed(tmp_path: Path) -> None:
    from trailscan.batch.state import State

    record = '{"chain":"eip155:1","address":"0xa","policy_sha256":"p","file":"wallets/0001-0xa.json"}\n'
    (tmp_path / "state.jsonl").write_text(record + '{"chain":"eip155:1","addr')
    (tmp_path / "wallets").mkdir()
    (tmp_path / "wallets" / "0001-0xa.json").write_text("{}")
    state = State(tmp_path)
    assert list(state.records) == [("eip155:1", "0xa", "p")]
    assert state.finished("eip155:1", "0xa", "p", tmp_path) is not None
    assert state.finished("eip155:1", "0xa", "other policy", tmp_path) is None
    state.append({"chain": "eip155:1", "address": "0xb", "policy_sha256": "p", "file": "wallets/0002-0xb.json"})
    state.close()
    assert list(State(tmp_path).records) == [("eip155:1", "0xa", "p"), ("eip155:1", "0xb", "p")]


def test_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trailscan.store import Store

    (tmp_path / "policy.yaml").write_text(GOOD)
    (tmp_path / "wallets.csv").write_text("address\n0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n")
    (tmp_path / "out").write_text("a file")
    Store(tmp_path / "s.duckdb").close()
    assert main(["batch", str(tmp_path / "wallets.csv"), "--policy", str(tmp_path / "policy.yaml"), "--out",
                 str(tmp_path / "out"), "--store", str(tmp_path / "s.duckdb")]) == 1
    assert capsys.readouterr().err == f"Error: --out {tmp_path / 'out'} is a file, not a folder; pass a folder (it " \
                                      "is created if missing)\n"
