"""The safe YAML reader: plain values only, line numbers, hostile input refused, both readers agree."""

from __future__ import annotations

import random

import pytest

from trailscan.errors import LabelError
from trailscan.labels.yamlread import YMap, decode, parse_events, parse_file


def plain(value: object) -> object:
    """A YMap tree as plain dicts/lists, with each mapping's key lines, to compare the two readers."""
    if isinstance(value, YMap):
        return {"@line": value.line, **{k: (value.line_of(k), plain(v)) for k, v in value.values.items()}}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


AGREEMENT_CASES = [
    "title: t\ntags:\n- address: 0xabc\n  label: Binance 14\n",
    "tags:\n- address: '0xabc'\n  label: \"quoted # not a comment\"  # a comment\n",
    "tags:\n- label: it''s\n  context: 'it''s'\n",
    "tags:\n- label: a:b\n  context: x#y\n- label: ~\n  context: null\n",
    "tags:\n- label: yes\n  context: 0x10\n  actor: 1.5e3\n",
    "tags:\n  - address: x\n    label: indented list\n  - address: y\n    label: two\n",
    "tags:\n- address: x\n\n- address: y\n# comment\n- address: z\n",
    "title: t\ntags:\n- label: <script>alert(1)</script>\n  context: '<b>bold</b> & \"q\"'\n",
    "tags:\n- label: Ünïcödé ✓ 中文\n",
    "tags:\n- label: [flow, list]\n",  # fast reader declines, libyaml decides
    "tags:\n- label: |\n    block\n",
    "tags:\n- label: multi\n    line plain\n",
    "tags:\n- label: tab\there\n",
]


@pytest.mark.parametrize("text", AGREEMENT_CASES)
def test_fast_reader_and_libyaml_agree(text: str) -> None:
    assert plain(parse_file(text, "x.yaml", "tags", fast=True)) == plain(parse_events(text, "x.yaml"))


def test_scalars_stay_text() -> None:
    doc = parse_file("tags:\n- address: 0x6cc5f688a315f3dc28a7781717a9a798a59fda7b\n  label: yes\n", "x", "tags")
    assert isinstance(doc, YMap)
    item = doc.values["tags"][0]  # type: ignore[index]
    assert item.values == {"address": "0x6cc5f688a315f3dc28a7781717a9a798a59fda7b", "label": "yes"}
    assert item.line == 2 and item.line_of("label") == 3


@pytest.mark.parametrize("fast", [True, False])
def test_duplicate_key_is_refused_with_its_line(fast: bool) -> None:
    text = "title: t\ntags:\n- address: '0x01'\n  label: a\n  label: b\n"
    with pytest.raises(LabelError) as err:
        parse_file(text, "labels/x.yaml", "tags", fast=fast)
    assert str(err.value) == "labels/x.yaml:5: duplicate key 'label' (first on line 4)"


def test_duplicate_header_key_is_refused() -> None:
    with pytest.raises(LabelError) as err:
        parse_file("title: a\ntitle: b\ntags:\n- label: x\n", "p.yaml", "tags")
    assert str(err.value) == "p.yaml:2: duplicate key 'title' (first on line 1)"


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    bomb += "tags:\n- label: *i\n"
    with pytest.raises(LabelError) as err:
        parse_file(bomb, "bomb.yaml", "tags")
    assert str(err.value) == "bomb.yaml:1: YAML anchors (&name) are not allowed in label files"


def test_alias_alone_is_refused() -> None:
    with pytest.raises(LabelError, match=r"^x.yaml:3: YAML aliases"):
        parse_events("title: t\ntags:\n- label: *nothing\n", "x.yaml")


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['echo hi']", "!!str text", "!custom x"])
def test_explicit_tags_are_refused_never_constructed(tag: str) -> None:
    with pytest.raises(LabelError, match=r"^x.yaml:2: explicit YAML tag"):
        parse_file(f"tags:\n- label: {tag}\n", "x.yaml", "tags")


def test_non_utf8_bytes_are_reported_with_their_line() -> None:
    with pytest.raises(LabelError) as err:
        decode(b"title: t\ntags:\n- label: caf\xe9\n", "labels/bad.yaml")
    assert str(err.value) == "labels/bad.yaml:3: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_syntax_error_has_a_line() -> None:
    with pytest.raises(LabelError) as err:
        parse_file("title: t\ntags:\n- label: [unclosed\n- label: x\n", "s.yaml", "tags")
    assert str(err.value).startswith("s.yaml:")
    assert "invalid YAML" in str(err.value)


def test_more_than_one_document_is_refused() -> None:
    with pytest.raises(LabelError, match="more than one YAML document"):
        parse_events("a: 1\n---\nb: 2\n", "d.yaml")


def test_control_characters_go_to_libyaml_which_refuses_them() -> None:
    with pytest.raises(LabelError, match="invalid YAML"):
        parse_file("tags:\n- label: bell\x07\n", "c.yaml", "tags")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(LabelError, match="nesting is too deep"):
        parse_events("a: " + "[" * 40 + "]" * 40 + "\n", "n.yaml")


PIECES = ["a", "Z", "0x1f", " ", "  ", ":", ": ", "#", " #", "'", "''", '"', "\\", "-", "- ", "~", "null", "[", "]",
          "{", "}", ",", "&x", "*x", "!", "|", ">", "%", "@", "`", "?", "é", "中", "\u2028", "\t", "\x85", "yes"]


BENIGN = ["a", "b", "a", " ", ":", "#", "'", "-", "~", "x1", "é", "0x", "null"]
FLOW = ['"', "''", "[", "]", ",", "?", "&", "*", "!", "|", ">", "{", "}"]


def random_doc(rng: random.Random) -> str:
    """Tag lists built from fragments that stress plain-scalar rules; a few with duplicate keys or gaps."""
    pieces = rng.choice([PIECES, BENIGN, BENIGN + FLOW])
    keys = ["address", "label", "context", "label"] if rng.random() < 0.1 else ["address", "label", "context"]
    lines = ["title: fuzz", "tags:"]
    for _ in range(rng.randrange(1, 4)):
        for position, key in enumerate(rng.sample(keys, rng.randrange(1, len(keys) + 1))):
            value = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6)))
            lines.append(f"{'- ' if position == 0 else '  '}{key}: {value}")
        if rng.random() < 0.1:
            lines.append(rng.choice(["", "# note", "   ", "  extra"]))
    return "\n".join(lines) + "\n"


def outcome(text: str, fast: bool) -> object:
    try:
        return plain(parse_file(text, "f.yaml", "tags", fast=fast))
    except LabelError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("seed", range(40))
def test_fast_reader_never_disagrees_with_libyaml_on_random_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        text = random_doc(rng)
        fast, slow = outcome(text, True), outcome(text, False)
        if isinstance(slow, tuple):  # libyaml refuses it: the fast reader must refuse it too
            assert isinstance(fast, tuple), text
        else:
            assert fast == slow, text
