"""Reading documents: encodings, bad files, PDF and DOCX, registry."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gis._errors import DocumentError, RegistryError
from gis.reading import decode_text, document_from_text, read_document
from gis.registry import load_registry, parse_date

SAMPLE = "一、2022年工作回顾\n建成虹桥示范公园，完成天山九村改造。\n二、2023年主要任务\n推进新泾港滨水步道建设。\n"


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_each_encoding_is_detected_and_named(tmp_path, codec, expected):
    path = tmp_path / "report.txt"
    path.write_bytes(SAMPLE.encode(codec))
    doc = read_document(path, registry={})
    assert doc.encoding == expected
    assert doc.original == SAMPLE
    assert "虹桥示范公园" in doc.text


def test_crlf_line_ends_are_normalised():
    text, _ = decode_text(SAMPLE.replace("\n", "\r\n").encode("utf-8"))
    assert "\r" not in text and text == SAMPLE


def test_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match="empty"):
        read_document(path, registry={})
    path.write_bytes(b"  \n\r\n ")
    with pytest.raises(DocumentError, match="empty"):
        read_document(path, registry={})


def test_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(DocumentError, match="binary"):
        read_document(path, registry={})


def test_undecodable_text_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "french.txt"
    path.write_bytes("café résumé à la carte ".encode("cp1252") * 20)
    with pytest.raises(DocumentError) as info:
        read_document(path, registry={})
    assert "french.txt" in str(info.value) and "UTF-8" in str(info.value)


def test_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(DocumentError, match="suffix"):
        read_document(path, registry={})


def test_docx_paragraphs_and_tables_are_read(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("一、2022年工作回顾")
    document.add_paragraph("建成虹桥示范公园。")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "项目"
    table.rows[0].cells[1].text = "临空9号地块"
    path = tmp_path / "report.docx"
    document.save(path)
    doc = read_document(path, registry={})
    assert doc.encoding == "docx"
    assert "虹桥示范公园" in doc.text and "临空9号地块" in doc.text
    assert doc.sentences[1].year == 2022 and doc.sentences[1].mode == "review"


def test_docx_that_is_not_one_is_a_clear_error(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_bytes(b"this is plain text, not a zip file")
    with pytest.raises(DocumentError, match="not a valid .docx"):
        read_document(path, registry={})


def test_truncated_pdf_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(DocumentError, match="broken.pdf"):
        read_document(path, registry={})


def test_pdf_text_layer_is_read(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    # a one-page PDF whose only content is an ASCII text object (no CJK font needed)
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    blank = tmp_path / "blank.pdf"
    with open(blank, "wb") as fh:
        writer.write(fh)
    with pytest.raises(DocumentError, match="no text layer"):
        read_document(blank, registry={})


def test_registry_gives_date_and_kind_when_text_has_none(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("去年，虹桥示范公园建成开放。今年将推进新泾港步道建设。\n", encoding="utf-8")
    registry = tmp_path / "registry.json"
    registry.write_text(
        json.dumps({"documents": [{"file": "article.txt", "date": "2024-02", "kind": "news"}]}),
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.kind == "news" and doc.date == dt.date(2024, 2, 1)
    assert [(s.year, s.mode) for s in doc.sentences] == [(2023, "review"), (2024, "plan")]


def test_date_in_text_wins_over_registry(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("政府工作报告\n——2019年1月8日在区人民代表大会上\n", encoding="utf-8")
    doc = read_document(path, registry=load_registry(tmp_path / "none.json"))
    assert doc.date == dt.date(2019, 1, 8) and doc.kind == "work_report"


def test_malformed_registry_lists_every_problem(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps({"documents": [{"file": "a.txt", "date": "Jan 2023"}, {"title": "x"}]}),
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    message = str(info.value)
    assert "Jan 2023" in message and "entry 1" in message
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid"):
        load_registry(path)


def test_parse_date_accepts_year_month_day():
    assert parse_date("2024") == dt.date(2024, 1, 1)
    assert parse_date("2021-01") == dt.date(2021, 1, 1)
    assert parse_date("2023-01-04") == dt.date(2023, 1, 4)
    with pytest.raises(ValueError):
        parse_date("2023/01/04")


def test_seed_registry_matches_the_seed_files(seed_paths):
    import hashlib

    registry = load_registry(seed_paths[0].parent / "registry.json")
    for path in seed_paths:
        entry = registry[path.name]
        assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry.date is not None and entry.kind != "other"


def test_a_given_date_wins_over_an_event_date_in_the_text():
    text = ("开春以来，区内各大在建项目现场一片繁忙。\n"
            "松风路综合体项目于2020年6月28日正式开工，今年将全面竣工。\n")
    given = document_from_text(text, name="news.txt", kind="news", date=dt.date(2022, 2, 10))
    assert given.date == dt.date(2022, 2, 10)
    # the sentences' years follow the article's date, not the event's
    assert {s.year for s in given.sentences} <= {2021, 2022}
    # without a given date, the date in the text is the best there is
    found = document_from_text(text, name="news.txt", kind="news")
    assert found.date == dt.date(2020, 6, 28)
