"""The picture cache: warm pictures are the cold ones byte for byte; only changed sheets redraw."""

from __future__ import annotations

import json

import pytest
from briefing_fixtures import briefing_layers

from gis import settings
from maps import pictures as pictures_module
from maps.pictures import render_pictures


@pytest.fixture
def drawn(monkeypatch):
    """The stems of the sheets actually drawn (not taken from the cache)."""
    stems: list[str] = []
    draw = pictures_module._render_one

    def counting(ctx, spec, folder, fig):
        stems.append(spec.stem)
        return draw(ctx, spec, folder, fig)

    monkeypatch.setattr(pictures_module, "_render_one", counting)
    return stems


def _files(pictures) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for p in pictures for path in (p.png, p.svg)}


def _described(pictures) -> list[tuple]:
    return [(p.stem, p.kind, p.key, p.title, p.project_ids, p.named, p.numbers, p.texts,
             p.legend, p.note, p.source, p.credit, p.not_drawn) for p in pictures]


def _west(**kwargs):
    """The fixture layers with the western zone's projects only (fewer labels: quicker)."""
    layers = briefing_layers(crowd=False, **kwargs)
    layers.projects = layers.projects[layers.projects["zone"] == "west"]
    return layers


def test_warm_pictures_are_the_cold_ones_byte_for_byte(tmp_path, drawn):
    layers = briefing_layers(crowd=False, delivery=True)
    cold = render_pictures(layers, tmp_path / "cold", jobs=1)
    assert len(drawn) == len(cold)
    drawn.clear()
    warm = render_pictures(layers, tmp_path / "warm", jobs=2)
    assert drawn == []  # nothing drawn: every picture came from the cache
    assert _files(warm) == _files(cold)
    assert _described(warm) == _described(cold)
    # the cache lives in the cache folder, one entry (png, svg, json) per picture
    entries = sorted((settings.cache_folder / "pictures").glob("*/*.json"))
    assert len(entries) == len(cold)
    assert json.loads(entries[0].read_text(encoding="utf-8")).keys() >= {"named", "numbers"}
    # broken entries are drawn again (here by forked workers), the same bytes again
    for entry in entries[:3]:
        entry.write_text("{not json", encoding="utf-8")
    drawn.clear()
    again = render_pictures(layers, tmp_path / "again", jobs=2)
    assert _files(again) == _files(cold)
    assert _described(again) == _described(cold)


def test_a_changed_project_redraws_only_its_sheets(tmp_path, drawn):
    render_pictures(_west(), tmp_path / "first", jobs=1)
    drawn.clear()
    changed = _west()
    projects = changed.projects
    row = projects.index[projects["name"] == "新泾公园"][0]
    projects.at[row, "status_latest"] = "completed"
    projects.at[row, "status_by_year"] = json.dumps({"2023": "completed"})
    second = render_pictures(changed, tmp_path / "second", jobs=1)
    # the overview, its zone and the year of its status change; not the other zones
    assert "overview" in drawn and "zone_west" in drawn and "year_2023" in drawn
    assert not {"zone_east", "zone_central"} & set(drawn)
    assert len(drawn) < len(second)
    # and what was redrawn or reused is what a fresh draw gives
    fresh = render_pictures(changed, tmp_path / "fresh", jobs=1, cache=False)
    assert _files(second) == _files(fresh)
    assert _described(second) == _described(fresh)


def test_no_cache_neither_reads_nor_writes_the_cache(tmp_path, drawn):
    layers = _west()
    render_pictures(layers, tmp_path / "a", jobs=1, cache=False)
    assert not (settings.cache_folder / "pictures").exists()
    render_pictures(layers, tmp_path / "b", jobs=1)
    stored = sorted((settings.cache_folder / "pictures").rglob("*"))
    drawn.clear()
    pictures = render_pictures(layers, tmp_path / "c", jobs=1, cache=False)
    assert [p.stem for p in pictures] == drawn
    assert sorted((settings.cache_folder / "pictures").rglob("*")) == stored
