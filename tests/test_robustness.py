"""Bad input loses nothing: each bad document gets a clear reason, outputs stay whole."""

from __future__ import annotations

import io
import json
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis._errors import DocumentError, ExportError
from gis.atomic import atomic_path, write_text_atomic
from gis.cli import main
from gis.normalise import _FULLWIDTH_TABLE
from gis.reading import document_from_text, read_document

REPORT = (
    "政府工作报告\n——2026年1月6日在区人民代表大会上\n"
    "一、2025年工作回顾\n建成虹桥示范公园，天山五村完成综合改造。\n"
    "二、2026年主要任务\n推进临空12号地块建设，启动苏州河岸线贯通。\n"
)


def _squeeze(text: str) -> str:
    """Text without whitespace, with the width folding the normaliser applies."""
    folded = "".join(text.split()).translate(_FULLWIDTH_TABLE)
    return folded.translate(str.maketrans("，；：（）！？", ",;:()!?"))


def test_encrypted_pdf_is_a_clear_error(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DocumentError, match="encrypted"):
        read_document(path, registry={})


def test_mixed_encodings_are_refused_not_garbled(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes("虹桥公园建成。".encode() + "天山五村改造。".encode("gb18030") * 3)
    with pytest.raises(DocumentError, match="cannot be decoded"):
        read_document(path, registry={})


def test_one_megabyte_line_is_read(tmp_path):
    path = tmp_path / "long.txt"
    sentence = "推进临空12号地块建设，"
    path.write_text("2025年3月1日\n" + sentence * (1_000_000 // len(sentence.encode())),
                    encoding="utf-8")
    doc = read_document(path, registry={})
    assert len(doc.text) > 300_000 and doc.sentences


def test_a_50_mb_text_is_skipped_with_a_reason_and_the_rest_builds(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "r.txt").write_text(REPORT, encoding="utf-8")
    line = "推进某某地块建设，完善周边配套设施。\n".encode()
    with open(docs / "huge.txt", "wb") as fh:
        for _ in range(50_000_000 // len(line) + 1):
            fh.write(line)
    out = tmp_path / "out"
    assert main(["-q", "layers", str(docs), "--out", str(out)]) == 1
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    skipped = {d["name"]: d["reason"] for d in report["documents"] if d["skipped"]}
    assert list(skipped) == ["huge.txt"] and "split it" in skipped["huge.txt"]
    assert report["counts"]["documents_read"] == 1


def test_no_network_is_touched_without_online(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "r.txt").write_text(REPORT, encoding="utf-8")
    assert main(["-q", "layers", str(docs), "--out", str(tmp_path / "out")]) == 0


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="a_file"):
        write_text_atomic(blocker / "out" / "x.json", "{}")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "r.txt").write_text(REPORT, encoding="utf-8")
    assert main(["-q", "layers", str(docs), "--out", str(blocker / "out")]) == 2


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path):
    target = tmp_path / "projects.geojson"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half a fi", encoding="utf-8")
            raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["projects.geojson"]


@pytest.mark.parametrize("forked", [False, True])
@pytest.mark.parametrize("where", ["delivery", "exports"])
def test_ctrl_c_during_a_build_leaves_previous_outputs_whole(tmp_path, monkeypatch, where, forked):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "r.txt").write_text(REPORT, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "layers", str(docs), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (docs / "r.txt").write_text(REPORT.replace("天山五村", "天山四村"), encoding="utf-8")

    import gis.pipeline
    import layers.export

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    if forked:  # the GeoPackage and timeline.csv writers run in forked processes
        monkeypatch.setattr(gis.pipeline, "_BACKGROUND_MENTIONS", 0)
    # while the delivery is computed (the forked writers wait for it), or while the
    # GeoJSON files are written (the forked writers have been told to finish)
    if where == "delivery":
        monkeypatch.setattr(gis.pipeline, "_delivery", interrupted)
    else:
        monkeypatch.setattr(layers.export, "_save_files", interrupted)
    assert main(["-q", "layers", str(docs), "--out", str(out)]) == 130
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert set(after) == set(before)  # no temporary file left behind
    assert after["projects.geojson"] == before["projects.geojson"]
    if where == "delivery":  # no layer file was replaced
        for name in ("timeline.csv", "planmap.gpkg", "delivery.csv", "projects.csv"):
            assert after[name] == before[name], name
    json.loads(after["build_report.json"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=400))
def test_reading_and_extraction_never_crash_and_spans_point_back(text):
    from geocode import extract_mentions

    doc = document_from_text(text or " ", name="fuzz.txt", kind="other")
    for m in extract_mentions(doc):
        span = doc.original[m.start : m.end]
        assert _squeeze(span) == _squeeze(m.surface), (span, m.surface)
        assert doc.original.count("\n", 0, m.start) + 1 == m.line


_placeish = st.text(
    st.sampled_from(list("长宁区虹桥天山五村临空12号地块公园路街道苏州河中心大厦，。、\n 　")),
    max_size=300,
)


@settings(max_examples=80, deadline=None)
@given(_placeish)
def test_extraction_on_place_like_text_maps_back(text):
    from geocode import extract_mentions

    doc = document_from_text("2025年1月1日\n一、2024年工作回顾\n" + text, name="f.txt")
    for m in extract_mentions(doc):
        span = doc.original[m.start : m.end]
        assert _squeeze(span) == _squeeze(m.surface), (span, m.surface)
        assert doc.original.count("\n", 0, m.start) + 1 == m.line
