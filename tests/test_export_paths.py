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

    def broken(path, layers, wait=None):
        if failure == "dies":
            os._exit(3)
        raise ExportError(f"cannot write {str(path)!r}: disk full")

    monkeypatch.setattr(export, "_write_gpkg", broken)
    layers = _sample_layers()
    pending = export.start_save_layers(layers, tmp_path, background=True)
    _with_delivery(layers)
    match = "disk full" if failure == "raises" else "planmap.gpkg ended without a result"
    with pytest.raises(PlanmapError, match=match):
        pending.finish()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file
