"""The fast paths of a large build give what the plain ones give (issue 8).

Each fast path (memoised stated zones, the pure-Python timeline, orjson JSON
lines, the sqlite3 GeoPackage attribute tables, the streamed extraction cache,
the per-document products cached with each extraction) is compared with a
straightforward reference written here; a warm rebuild after one document
changed writes the same bytes as a cold build on the plain paths.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import fiona
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_layers_build import mention, sample_entities

import layers.build
from geocode.columns import MentionColumns, MentionRows
from geocode.model import MENTION_FIELDS, Entity
from gis import pipeline
from layers.build import _sentence_surfaces, _StatedMemo, timeline_from_entities
from layers.export import GPKG_NAME, save_layers
from layers.model import TIMELINE_COLUMNS
from layers.stated import (
    BELT_PHRASES,
    ZONE_PHRASES,
    find_phrases,
    has_phrases,
    stated_belts,
    stated_by_mention,
    stated_zone,
)


def _reference_timeline(entities: list[Entity]) -> pd.DataFrame:
    """The timeline as pandas built it before issue 8."""
    rows = [
        {
            "entity_id": ent.id, "name": ent.name, "year": m.year, "mode": m.mode,
            "status": m.status, "status_cue": m.status_cue, "doc": m.doc, "line": m.line,
            "evidence": m.sentence,
        }
        for ent in entities
        for m in ent.mentions
    ]
    df = pd.DataFrame(rows, columns=list(TIMELINE_COLUMNS))
    df["year"] = df["year"].astype("Int64")
    df["line"] = df["line"].astype("Int64")
    for col in ("entity_id", "name", "mode", "status", "status_cue", "doc", "evidence"):
        df[col] = df[col].astype(object)
    df = df.drop_duplicates(subset=["entity_id", "year", "status", "doc", "line", "evidence"])
    df = df.sort_values(
        ["entity_id", "year", "doc", "line", "status"], na_position="last", kind="mergesort"
    )
    return df.reset_index(drop=True)


def _with_repeats() -> list[Entity]:
    """The sample entities, with repeated rows, missing years and an id that repeats."""
    ents = sample_entities()
    first = ents[0]
    first.mentions += [
        mention(first.name, first.mentions[0].sentence, year=None, status="planned", line=2),
        mention(first.name, first.mentions[0].sentence, year=None, status="planned", line=2),
        mention(first.name, "另一句。", year=2021, status="mentioned", line=1, doc="a.txt"),
        first.mentions[0],
    ]
    twin = Entity(id=ents[1].id, name=ents[1].name, type=ents[1].type,
                  mentions=list(reversed(ents[1].mentions)) + ents[2].mentions)
    return [*reversed(ents), twin]


def test_timeline_equals_the_pandas_reference():
    ents = _with_repeats()
    got = timeline_from_entities(ents)
    want = _reference_timeline(ents)
    pd.testing.assert_frame_equal(got, want)
    empty = timeline_from_entities([])
    pd.testing.assert_frame_equal(empty, _reference_timeline([]))


_ROWS = st.tuples(
    st.sampled_from(["中山公园", "临空12号地块", "天山五村"]),  # entity
    st.one_of(st.none(), st.integers(2018, 2021)),  # year
    st.sampled_from(["planned", "started", "completed"]),  # status
    st.sampled_from(["a.txt", "b.txt", "c.txt"]),  # doc
    st.one_of(st.none(), st.integers(1, 4)),  # line
    st.sampled_from(["甲句。", "乙句。", "丙句。"]),  # sentence
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROWS, max_size=40), st.booleans())
def test_timeline_equals_the_pandas_reference_on_random_rows(rows, twin):
    """Random repeats, missing years and lines, and (``twin``) an id that repeats."""
    by_name: dict[str, list] = {}
    for name, year, status, doc, line, sentence in rows:
        by_name.setdefault(name, []).append(
            mention(name, sentence, year=year, status=status, doc=doc, line=line))
    ents = [Entity(id=f"cn-{i}", name=name, type="plot", mentions=ms)
            for i, (name, ms) in enumerate(sorted(by_name.items(), reverse=True))]
    if twin and ents:
        ents.append(Entity(id=ents[0].id, name="别名", type="plot",
                           mentions=list(reversed(ents[-1].mentions))))
    pd.testing.assert_frame_equal(timeline_from_entities(ents), _reference_timeline(ents))


def test_stated_memo_equals_stated_per_mention():
    ents = sample_entities()
    surfaces: dict[tuple[str, str], list[str]] = {}
    for e in ents:
        for m in e.mentions:
            surfaces.setdefault((m.doc, m.sentence), []).append(m.surface)
    memo = _StatedMemo(_sentence_surfaces(ents))
    for _ in range(2):  # the second round is answered from the memo
        for e in ents:
            for m in e.mentions:
                others = surfaces[(m.doc, m.sentence)]
                want = (stated_zone(m, others)[0], stated_belts(m, others)[0])
                assert memo(m) == want, (m.surface, m.sentence)


_PIECES = [
    *"中山公园地区虹桥临空苏州河滨水景观带号线沿线延安西路—虹桥路时尚文化集聚，。、；",
    "2号线", "12号线", "临空12号地块", "中部虹桥", "东部中山公园", "虹桥地区",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_has_phrases_equals_find_phrases(text):
    want = bool(find_phrases(text, ZONE_PHRASES) or find_phrases(text, BELT_PHRASES))
    assert has_phrases(text) == want


_TEXT = st.lists(
    st.sampled_from(["中", "a", " ", "\n", "\t", '"', "\\", ",", ":", "{", "}", "[", "]",
                     "\x00", "\x1f", "\x7f", "\u2028", "\ufeff", "😀", ",\n    ", "\n  "]),
    max_size=10,
).map("".join)
_RECORD = st.fixed_dictionaries({
    "doc": _TEXT, "line": st.integers(-(2**70), 2**70), "sentence": _TEXT,
    "year": st.none() | st.integers(0, 3000) | st.floats(allow_nan=False, allow_infinity=False),
    "flag": st.booleans(), "locators": st.lists(_TEXT, max_size=3),
    "nested": st.none() | st.dictionaries(_TEXT, st.lists(st.integers(), max_size=2), max_size=2),
})


@settings(max_examples=300, deadline=None)
@given(st.lists(_RECORD, max_size=4))
def test_jsonl_is_bytewise_json_dumps(records):
    want = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    assert pipeline._jsonl(records) == want


def test_jsonl_without_orjson(monkeypatch):
    monkeypatch.setattr(pipeline, "_orjson", None)
    records = [{"a": "中", "b": [1, "x"], "c": None}]
    assert pipeline._jsonl(records) == (json.dumps(records[0], ensure_ascii=False) + "\n").encode()


def test_mention_records_are_its_fields():
    m = sample_entities()[0].mentions[0]
    (got,) = pipeline._records([m])
    assert tuple(got) == MENTION_FIELDS
    assert json.dumps(got, ensure_ascii=False) == json.dumps(m.to_record(), ensure_ascii=False)


def test_gpkg_attribute_tables_as_fiona_writes_them(tmp_path):
    from layers.build import layers_from_entities

    layers = layers_from_entities(
        sample_entities(),
        documents=[{"name": "plan.txt", "title": None, "date": "2021-01-20", "kind": "plan"}],
    )
    save_layers(layers, tmp_path)
    path = tmp_path / GPKG_NAME
    with fiona.open(path, layer="timeline") as src:
        assert src.schema["properties"]["year"].startswith("int")
        got = [dict(f.properties) for f in src]
        fids = [int(f.id) for f in src]
    want = layers.timeline.astype(object).where(layers.timeline.notna(), None)
    assert got == want.to_dict("records")
    assert fids == list(range(1, len(got) + 1))
    with fiona.open(path, layer="documents") as src:
        assert [dict(f.properties) for f in src] == [
            {"name": "plan.txt", "title": None, "date": "2021-01-20", "kind": "plan"}
        ]
    con = sqlite3.connect(path)
    try:
        counts = dict(con.execute("SELECT table_name, feature_count FROM gpkg_ogr_contents"))
        triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    finally:
        con.close()
    assert counts["timeline"] == len(layers.timeline)
    assert counts["documents"] == 1
    assert {"trigger_insert_feature_count_timeline",
            "trigger_delete_feature_count_timeline"} <= triggers


@pytest.mark.parametrize("fast", [True, False])
def test_cache_round_trip_keeps_mentions(fast, monkeypatch):
    if not fast:
        monkeypatch.setattr(pipeline, "_orjson", None)
    ms = [m for e in sample_entities() for m in e.mentions]
    rows = [[getattr(m, f) for f in MENTION_FIELDS] for m in ms]
    result = pipeline._result({"name": "x.txt", "skipped": False}, rows)
    result["stated"] = [[0, "east", ["line2"]]]
    packed = pipeline._pack_result(result)
    with pytest.raises(ValueError):  # cut short
        pipeline._unpack_result(packed[:-5])
    with pytest.raises(ValueError):  # not an entry (an old JSON one)
        pipeline._unpack_result(pipeline._json_dumps(result))
    decoded = pipeline._unpack_result(packed)
    assert decoded["record"] == result["record"]
    columns, stated = MentionColumns(), {}
    back = columns.join([pipeline._coded(decoded, columns, stated)]).rows()
    assert len(back) == len(ms)
    assert back == ms and back.indices.tolist() == list(range(len(ms)))
    # equal strings come back as one object
    assert back[1].doc is back[2].doc
    assert stated == {(ms[0].doc, ms[0].start, ms[0].end, ms[0].name): ("east", ["line2"])}
    assert columns.stated == [(0, "east", ["line2"])]
    decoded["fields"] = decoded["fields"][:-1]
    with pytest.raises(KeyError):  # a stale entry
        pipeline._coded(decoded, MentionColumns(), {})


def test_stale_cache_entry_is_extracted_again(tmp_path):
    doc = tmp_path / "docs" / "report.txt"
    doc.parent.mkdir()
    doc.write_text("长宁区人民政府工作报告\n一、2022年工作回顾\n中山公园改造完成。\n", encoding="utf-8")
    first = pipeline.BuildReport()
    found = pipeline.extract_documents([doc], first)
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 1
    stale = pipeline._unpack_result(entries[0].read_bytes())
    stale["fields"] = ["doc", "line"]
    entries[0].write_bytes(pipeline._pack_result(stale))
    again = pipeline.BuildReport()
    assert pipeline.extract_documents([doc], again) == found
    assert again.cache_hits == 0
    entries[0].write_bytes(entries[0].read_bytes()[:-3])  # broken: cut short
    broken = pipeline.BuildReport()
    assert pipeline.extract_documents([doc], broken) == found
    assert broken.cache_hits == 0


def test_stated_per_document_equals_stated_over_the_archive():
    ms = [m for e in sample_entities() for m in e.mentions]
    whole = stated_by_mention(ms)
    merged: dict = {}
    for doc in sorted({m.doc for m in ms}):
        merged.update(stated_by_mention(m for m in ms if m.doc == doc))
    assert merged == whole
    assert whole  # the sample states something
    memo = _StatedMemo(_sentence_surfaces(sample_entities()))
    for m in ms:
        assert whole.get((m.doc, m.start, m.end, m.name), ("", [])) == memo(m)


def test_columns_give_what_the_mentions_give(seed_paths, tmp_path, monkeypatch):
    """On the seeds (with alias merges): the timeline and the per-entity summaries from
    ``MentionColumns`` equal those from the mention objects, for most entities."""
    from geocode import load_gazetteer, resolve_entities
    from geocode.entities import entities_from_mentions
    from layers.delivery import merge_alias_entities

    monkeypatch.setattr(pipeline.settings, "cache_folder", tmp_path / "cache")
    products = pipeline.ExtractionProducts()
    report = pipeline.BuildReport()
    mentions = pipeline.extract_documents(seed_paths, report, products=products)
    columns = products.columns
    assert len(columns) == len(mentions)
    objects = list(mentions)  # the same mentions as plain objects: grouped one by one
    grouped = entities_from_mentions(mentions)
    plain = entities_from_mentions(objects)
    assert all(isinstance(e.mentions, MentionRows) for e in grouped)
    assert [(e.id, e.name, e.type, e.aliases, e.in_changning, list(e.mentions)) for e in grouped] \
        == [(e.id, e.name, e.type, e.aliases, e.in_changning, e.mentions) for e in plain]
    gazetteer = load_gazetteer()
    entities, merges = merge_alias_entities(
        resolve_entities(mentions, gazetteer=gazetteer, district_fallback=False), gazetteer)
    assert merges  # the seeds have alias merges: their entities come from their mentions
    pd.testing.assert_frame_equal(timeline_from_entities(entities, columns=columns),
                                  timeline_from_entities(entities))
    summaries = layers.build._summaries(entities, columns)
    merged_into = {m["into_id"] for m in merges}
    whole = [e for e, s in zip(entities, summaries, strict=True) if s is not None]
    assert len(whole) >= 0.9 * len(entities)
    assert not merged_into & {e.id for e in whole}
    stated = products.stated.get
    for ent, summary in zip(entities, summaries, strict=True):
        if summary is not None:
            assert summary == layers.build._summary(ent, stated, ("", [])), ent.name
    assert any(s is not None and s.zones for s in summaries)  # some text states a zone
    # mentions.jsonl: the documents an alias merge touched are found by column too
    docs, changed = pipeline._changed_documents(entities, mentions, columns)
    assert docs == {m.doc for m in objects}
    assert changed == {m.doc for e in entities if e.id in merged_into for m in e.mentions}
    assert changed and changed < docs
    # by identity (without columns): a document is changed when its objects are not those read
    same = pipeline._changed_documents(entities, [m for e in entities for m in e.mentions])
    assert same == (docs, set())


def _plain_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build as before the per-document products: sort and encode every mention, state over
    all, timeline from the mention objects (not ``MentionColumns``)."""
    monkeypatch.setattr(
        pipeline, "_write_mention_blocks",
        lambda entities, extracted, blocks, path, columns=None: pipeline._write_mentions(
            pipeline._sorted_mentions(entities), path),
    )
    real = layers.build.layers_from_entities
    monkeypatch.setattr(
        layers.build, "layers_from_entities",
        lambda entities, *, documents=(), stated=None, columns=None, on_timeline=None: real(
            entities, documents=documents, on_timeline=on_timeline),
    )


def _gpkg_dump(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_warm_rebuild_is_byte_identical_to_a_cold_build(tmp_path, seed_paths, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in seed_paths:
        shutil.copy(path, docs / path.name)
    stages = ("extract", "layers")
    pipeline.build([docs], tmp_path / "before", stages=stages)  # fills the cache
    with (docs / seed_paths[0].name).open("a", encoding="utf-8") as fh:
        fh.write("\n推进中山公园改造和临空12号地块建设。\n")
    # mentions.jsonl and the GeoPackage written by forked processes, as for a large archive
    monkeypatch.setattr(pipeline, "_BACKGROUND_MENTIONS", 0)
    warm = pipeline.build([docs], tmp_path / "warm", stages=stages)
    assert warm.cache_hits == len(seed_paths) - 1
    monkeypatch.setattr(pipeline, "_BACKGROUND_MENTIONS", 10**9)
    _plain_paths(monkeypatch)
    cold = pipeline.build([docs], tmp_path / "cold", stages=stages, cache=False)
    assert cold.cache_hits == 0
    names = sorted(p.name for p in (tmp_path / "cold").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "warm").iterdir())
    assert {"mentions.jsonl", "projects.geojson", "timeline.csv", "build_report.json"} <= set(names)
    for name in names:
        want, got = tmp_path / "cold" / name, tmp_path / "warm" / name
        if want.read_bytes() != got.read_bytes():
            assert name.endswith(".gpkg"), f"{name} differs between the warm and the cold build"
            assert _gpkg_dump(got) == _gpkg_dump(want)
    # feature ids are those of the cold build, in the same order
    ids = [f["id"] for f in json.loads((tmp_path / "warm" / "projects.geojson").read_text())["features"]]
    assert ids == [f["id"] for f in json.loads((tmp_path / "cold" / "projects.geojson").read_text())["features"]]
    # the report's status counts (from the columns) are those of the mentions written
    lines = (tmp_path / "warm" / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    statuses = Counter(json.loads(line)["status"] for line in lines)
    counts = json.loads((tmp_path / "warm" / "build_report.json").read_text())["counts"]
    assert counts["status"] == dict(sorted(statuses.items()))
    assert counts["mentions"] == len(lines)


def test_save_layers_in_background_writes_the_same_files(tmp_path):
    from layers.build import layers_from_entities

    layers = layers_from_entities(
        sample_entities(), documents=[{"name": "plan.txt", "date": "2021-01-20", "kind": "plan"}]
    )
    here = save_layers(layers, tmp_path / "here")
    forked = save_layers(layers, tmp_path / "forked", background=True)
    assert [p.name for p in forked] == [p.name for p in here]
    for a, b in zip(here, forked, strict=True):
        if a.read_bytes() != b.read_bytes():
            assert a.name == GPKG_NAME
            assert _gpkg_dump(a) == _gpkg_dump(b)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 3000), st.integers(0, 1)),
                max_size=60))
def test_packed_key_sorts_as_lexsort(rows):
    import numpy as np

    from geocode.columns import packed_key

    keys = [np.array([r[i] for r in rows], dtype=np.int64) for i in range(3)]
    packed = packed_key(keys)
    assert packed is not None
    want = np.lexsort((np.arange(len(rows)), *reversed(keys)))
    assert np.argsort(packed, kind="stable").tolist() == want.tolist()
    assert packed_key([np.array([1 << 40]), np.array([1 << 30])]) is None  # 72 bits
    assert packed_key([np.array([-1])]) is None


def test_two_documents_of_one_name_are_not_told_apart_by_column():
    """Two files named alike (in two folders): their sentence codes are per document, so
    the columns say they cannot be used, and the timeline comes from the mentions."""
    ms = [m for e in sample_entities() for m in e.mentions]
    rows = [[getattr(m, f) for f in MENTION_FIELDS] for m in ms]
    result = pipeline._unpack_result(pipeline._pack_result(
        pipeline._result({"name": "x.txt", "skipped": False}, rows)))
    columns = MentionColumns()
    one = columns.join([columns.part(result["columns"], result["n"])])
    assert one.by_document
    twice = MentionColumns()
    twice.join([twice.part(result["columns"], result["n"]),
                twice.part(result["columns"], result["n"])])
    assert not twice.by_document
    from geocode.entities import entities_from_mentions

    ents = entities_from_mentions(twice.rows())
    pd.testing.assert_frame_equal(timeline_from_entities(ents, columns=twice),
                                  _reference_timeline(ents))
