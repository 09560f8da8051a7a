"""The fast paths of the exports write what the plain ones write (issue 8).

``timeline.csv`` is written field by field (each distinct text quoted once) when
its columns are text or integers, and the GeoPackage's attribute tables are filled
by multi-row ``INSERT`` statements; both are compared here with pandas' ``to_csv``
and with one ``INSERT`` per row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis._errors import ExportError, PlanmapError
from layers import export

_TEXT = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t;甲乙\'')), max_size=6),
    st.sampled_from(["", " ", '"', ",", "\r\n", "nan", "None", "推进甲地块建设，2023年竣工。"]),
)


def _pandas_csv(df: pd.DataFrame, path: Path) -> bytes:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n", chunksize=50_000)
    return path.read_bytes()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(_TEXT, st.one_of(st.none(), st.integers(-5, 3000)), _TEXT), max_size=30
    ),
    nullable=st.booleans(),
)
def test_text_and_integer_csv_is_what_pandas_writes(tmp_path, rows, nullable):
    df = pd.DataFrame(rows, columns=["name", "year", "evidence"]).astype({"name": object,
                                                                           "evidence": object})
    if nullable or df["year"].isna().any():
        df["year"] = df["year"].astype("Int64")
    else:
        df["year"] = df["year"].astype("int64")
    assert export._csv_columns(df) is not None
    export._write_csv(tmp_path / "fast.csv", df)
    assert (tmp_path / "fast.csv").read_bytes() == _pandas_csv(df, tmp_path / "plain.csv")


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"a": ["x", ""], "b": [1.5, None]}),  # floats: pandas formats them
        pd.DataFrame({"a": ["x", 3], "b": ["y", "z"]}),  # mixed objects
        pd.DataFrame({"a": ["", None]}),  # one column: an empty row is quoted
        pd.DataFrame({"a": [True, False], "b": ["y", "z"]}),  # booleans
    ],
)
def test_other_tables_are_written_by_pandas(tmp_path, df):
    assert export._csv_columns(df) is None
    export._write_csv(tmp_path / "t.csv", df)
    assert (tmp_path / "t.csv").read_bytes() == _pandas_csv(df, tmp_path / "plain.csv")


@pytest.mark.parametrize("n", [0, 1, 110, 111, 112, 1000])
def test_multi_row_inserts_make_the_same_table_as_one_row_inserts(tmp_path, n):
    columns = ["name", "year", "evidence"]
    data = [[f"甲{i}" for i in range(n)], [None if i % 7 == 0 else i for i in range(n)],
            ["推进，建设" * (i % 5) for i in range(n)]]
    paths = []
    for how in ("rows", "blocks"):
        path = tmp_path / f"{how}.sqlite"
        con = sqlite3.connect(path)
        with con:
            con.execute('CREATE TABLE "t" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
                        '"name" TEXT, "year" INTEGER, "evidence" TEXT)')
            if how == "rows":
                con.executemany('INSERT INTO "t" ("name", "year", "evidence") VALUES (?, ?, ?)',
                                zip(*data, strict=True))
            else:
                for sql, params in export._insert_statements("t", columns, data):
                    con.executemany(sql, params)  # as _fill_attribute_tables runs them
        con.close()
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def _sample_layers():
    from test_layers_build import sample_entities

    from layers.build import layers_from_entities

    return layers_from_entities(
        sample_entities(), documents=[{"name": "plan.txt", "date": "2021-01-20", "kind": "plan"}]
    )


def _with_delivery(layers):
    from layers.delivery import delivery_from_timeline

    layers.delivery = delivery_from_timeline(layers.timeline, layers.documents,
                                             projects=layers.projects)
    return layers


def test_writers_begun_before_the_delivery_write_the_same_files(tmp_path):
    here = export.save_layers(_with_delivery(_sample_layers()), tmp_path / "here")
    layers = _sample_layers()
    pending = export.start_save_layers(layers, tmp_path / "forked", background=True)
    assert len(pending._jobs) == 2  # the GeoPackage and timeline.csv writers wait
    _with_delivery(layers)
    forked = pending.finish()
    pending.cancel()  # finished: nothing to stop
    assert [p.name for p in forked] == [p.name for p in here]
    assert "delivery.csv" in [p.name for p in here]
    for a, b in zip(here, forked, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_cancelled_writers_leave_the_previous_files(tmp_path):
    out = tmp_path / "out"
    export.save_layers(_with_delivery(_sample_layers()), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    layers = _sample_layers()
    layers.timeline = layers.timeline.iloc[:1]
    pending = export.start_save_layers(layers, out, background=True)
    pending.cancel()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary file either
    with pytest.raises(ExportError, match="cancelled"):
        pending.finish()


@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_failing_forked_writer_is_reported(tmp_path, monkeypatch, failure):
    import os

    def broken(path, timeline, documents, get_layers, wait=None):
        if failure == "dies":
            os._exit(3)
        raise ExportError(f"cannot write {str(path)!r}: disk full")

    monkeypatch.setattr(export, "_write_gpkg_staged", broken)
    layers = _sample_layers()
    pending = export.start_save_layers(layers, tmp_path, background=True)
    _with_delivery(layers)
    match = "disk full" if failure == "raises" else "planmap.gpkg ended without a result"
    with pytest.raises(PlanmapError, match=match):
        pending.finish()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file


def _empty_gpkg(path: Path, layers) -> None:
    """The GeoPackage as ``_write_gpkg_staged`` has it before its attribute tables are filled."""
    import fiona

    from gis import settings as gis_settings

    with fiona.Env(OGR_CURRENT_DATE=export.GPKG_TIMESTAMP):
        for name, _, schema, records in export._gpkg_layers(layers):
            crs = gis_settings.output_crs if schema["geometry"] != "None" else None
            with fiona.open(path, "w", driver="GPKG", layer=name, schema=schema, crs=crs) as dst:
                dst.writerecords(records)


def _insert_directly(path: Path, layers) -> None:
    """The plain way: each table's rows bound into the file itself (no staging, no copy)."""
    con = sqlite3.connect(path)
    try:
        with con:
            for name, schema, df in export._gpkg_tables(layers.timeline, layers.documents):
                columns = list(schema["properties"])
                triggers = con.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                    "AND name LIKE 'trigger_insert_feature_count_%' ORDER BY name", (name,)
                ).fetchall()
                for trigger, _ in triggers:
                    con.execute(f'DROP TRIGGER "{trigger}"')
                quoted = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" * len(columns))
                con.executemany(
                    f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})',
                    zip(*[export._sqlite_column(df[c], schema["properties"][c]) for c in columns],
                        strict=True),
                )
                con.execute("UPDATE gpkg_ogr_contents SET feature_count = ? "
                            "WHERE lower(table_name) = lower(?)", (len(df), name))
                for _, sql in triggers:
                    con.execute(sql)
    finally:
        con.close()


def test_staged_tables_are_declared_as_ogr_declares_them(tmp_path):
    # the same declaration is what lets SQLite copy the staged records as they are
    layers = _sample_layers()
    _empty_gpkg(tmp_path / "t.gpkg", layers)
    con = sqlite3.connect(tmp_path / "t.gpkg")
    try:
        for name, schema, _ in export._gpkg_tables(layers.timeline, layers.documents):
            (sql,) = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
            assert export._table_ddl(name, schema["properties"]) == sql
    finally:
        con.close()


@pytest.mark.parametrize("rows", [0, 1, 500])
def test_staged_attribute_tables_make_the_file_that_direct_inserts_make(tmp_path, rows):
    layers = _sample_layers()
    if rows:
        layers.timeline = layers.timeline.sample(n=rows, replace=True, random_state=rows)
        layers.timeline.loc[layers.timeline.index[::3], "year"] = pd.NA
    else:
        layers.timeline = layers.timeline.iloc[:0]
    direct, staged = tmp_path / "direct.gpkg", tmp_path / "staged.gpkg"
    for path in (direct, staged):
        _empty_gpkg(path, layers)
    _insert_directly(direct, layers)
    tables = export._StagedTables(export._gpkg_tables(layers.timeline, layers.documents))
    tables.copy_into(staged)
    tables.close()
    assert staged.read_bytes() == direct.read_bytes()
    con = sqlite3.connect(staged)
    try:
        assert con.execute('SELECT count(*), min(fid), max(fid) FROM "timeline"').fetchone() == (
            rows, 1 if rows else None, rows or None)
    finally:
        con.close()
    with pytest.raises(ExportError, match="closed"):
        tables.copy_into(staged)


def test_writers_begun_at_the_timeline_write_the_same_files(tmp_path):
    here = export.save_layers(_with_delivery(_sample_layers()), tmp_path / "here")
    layers = _sample_layers()
    pending = export.start_save_timeline(layers.timeline, layers.documents, tmp_path / "forked",
                                         background=True)
    assert len(pending._jobs) == 2
    with pytest.raises(ExportError, match="not given its layers"):
        pending.finish()
    other = _sample_layers()  # equal, but another timeline than the writers have
    with pytest.raises(ExportError, match="not those"):
        pending.take_layers(other)
    pending.take_layers(layers)
    with pytest.raises(ExportError, match="not waiting"):
        pending.take_layers(layers)
    _with_delivery(layers)
    forked = pending.finish()
    assert [p.name for p in forked] == [p.name for p in here]
    for a, b in zip(here, forked, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.parametrize("given", [False, True])
def test_writers_cancelled_before_or_after_the_layers_leave_the_previous_files(tmp_path, given):
    out = tmp_path / "out"
    export.save_layers(_with_delivery(_sample_layers()), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    layers = _sample_layers()
    layers.timeline = layers.timeline.iloc[:1]
    pending = export.start_save_timeline(layers.timeline, layers.documents, out, background=True)
    if given:
        pending.take_layers(layers)
    pending.cancel()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(ExportError, match="cancelled"):
        pending.finish()


def test_geopackage_in_a_folder_whose_name_needs_quoting_in_a_uri(tmp_path):
    # the staged tables are attached through URIs: a space, '#', '%' or '?' in the
    # output folder must not change where (or whether) the file is written
    from layers.export import save_layers

    plain, odd = tmp_path / "plain", tmp_path / "a b #1 %20 ?x"
    layers = _with_delivery(_sample_layers())
    save_layers(layers, plain)
    save_layers(layers, odd)
    assert (odd / "planmap.gpkg").read_bytes() == (plain / "planmap.gpkg").read_bytes()
