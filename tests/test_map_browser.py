"""The offline map in the system Chromium, with the network blocked.

Every request other than file:// and data: is aborted and recorded; every
console message of type error and every page error is recorded.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import prcoords
import pytest
from map_fixtures import XSS_DELIVERY, XSS_EVIDENCE, XSS_NAME, XSS_PROMISE, synthetic_layers

from maps.palette import DELIVERY_CLASSES, STATUSES
from maps.webmap import map_from_layers, save_map

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="system Chromium (/usr/bin/chromium) is not installed"),
]

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


class Session:
    """One page of the map, with what it logged and what it tried to fetch."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)
        page.route("**/*", self._route)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)


@pytest.fixture(scope="module")
def layers():
    return synthetic_layers(40)


@pytest.fixture(scope="module")
def map_path(layers, tmp_path_factory):
    return save_map(map_from_layers(layers, offline=True), tmp_path_factory.mktemp("map") / "map.html")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture()
def session(browser, map_path):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    s = Session(page)
    page.goto(map_path.as_uri())
    page.wait_for_function("window.planmap && window.planmap.ready", timeout=15000)
    yield s
    context.close()


def expected_counts(layers, year: int) -> dict[str, int]:
    """Status -> number of projects at ``year`` (latest status at or before it)."""
    out: dict[str, int] = {}
    for text in layers.projects.status_by_year:
        by_year = {int(y): s for y, s in json.loads(text).items()}
        past = [y for y in by_year if y <= year]
        if past:
            status = by_year[max(past)]
            out[status] = out.get(status, 0) + 1
    return out


def project_id(layers, name: str) -> str:
    return layers.projects.loc[layers.projects.name == name, "id"].iloc[0]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) pairs."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def click_feature(s: Session, ident: str) -> None:
    lat, lng = s.js("id => planmap.latLngOf(id)", ident)
    s.js("([lat, lng]) => { planmap.map.setView([lat, lng], 16, {animate: false}); }", [lat, lng])
    x, y = s.js("([lat, lng]) => { const p = planmap.map.latLngToContainerPoint([lat, lng]);"
                " const r = planmap.map.getContainer().getBoundingClientRect();"
                " return [p.x + r.left, p.y + r.top]; }", [lat, lng])
    s.page.mouse.click(x, y)
    s.page.wait_for_selector(".leaflet-popup-content .pm-popup", timeout=5000)


def test_loads_offline_without_errors_and_draws_every_project(session, layers):
    s = session
    s.page.wait_for_timeout(300)
    assert s.errors == []
    assert s.outside == []
    assert s.js("planmap.projectCount") == len(layers.projects)
    assert s.js("planmap.drawnCount()") == len(layers.projects)
    assert s.js("planmap.year()") == max(expected_year for expected_year in s.js("planmap.years"))
    legend_total = s.js("[...document.querySelectorAll('.pm-legend .pm-count')]"
                        ".reduce((a, e) => a + Number(e.textContent), 0)")
    assert legend_total == len(layers.projects)
    ARTIFACTS.mkdir(exist_ok=True)
    s.page.screenshot(path=str(ARTIFACTS / "map_offline.png"))


def test_map_fits_the_district_on_load(session):
    bounds = session.js("(() => { const b = planmap.map.getBounds();"
                        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    west, south, east, north = bounds
    # Changning spans about 121.33-121.45 E, 31.18-31.24 N; the view holds it and not much more.
    assert west < 121.34 and east > 121.44 and south < 31.19 and north > 31.23
    assert east - west < 0.5


def test_year_slider_changes_statuses(session, layers):
    s = session
    for year in (2016, 2019, 2021, 2023):
        s.page.eval_on_selector(
            ".pm-year-slider",
            "(el, y) => { el.value = String(y); el.dispatchEvent(new Event('input')); }", year)
        assert s.js("planmap.year()") == year
        assert s.js("planmap.countsByStatus()") == expected_counts(layers, year)
        assert s.page.inner_text(".pm-year-title").replace(" ", "").endswith(str(year))
    assert expected_counts(layers, 2016) != expected_counts(layers, 2023)
    ident = project_id(layers, "中山公园改造")
    s.js("planmap.setYear(2017)")  # before its first year: hidden
    assert "该年份尚未提及" in s.js("id => planmap.popupHtml(id)", ident)
    assert s.js("planmap.countsByStatus()") == expected_counts(layers, 2017)
    s.js("planmap.setYear(2022)")  # started in 2021, still started in 2022
    assert "开工 (2022年)" in s.js("id => planmap.popupHtml(id)", ident)
    assert s.errors == []


def test_unticking_a_zone_hides_its_projects(session, layers):
    s = session
    east = int((layers.projects.zone == "east").sum())
    assert east > 0
    before = s.js("planmap.drawnCount()")
    s.page.click(".leaflet-control-layers label:has(.pm-project-group[data-zone='east']) input")
    assert s.js("planmap.drawnCount()") == before - east
    s.page.click(".leaflet-control-layers label:has(.pm-project-group[data-zone='east']) input")
    assert s.js("planmap.drawnCount()") == before


def test_popup_shows_the_escaped_sentence_with_document_and_line(session, layers):
    s = session
    click_feature(s, project_id(layers, "中山公园改造"))
    popup = s.page.locator(".leaflet-popup-content")
    text = popup.inner_text()
    assert XSS_EVIDENCE in text  # shown as text, tags and all
    assert "《2018年报告》doc_2018.txt · 第10行" in text
    assert "类型" in text and "公园" in text and "东部中山公园地区" in text
    assert popup.locator("script, img").count() == 0
    assert popup.locator(".pm-evidence *").count() == 0  # the sentence's <b> is text, not markup
    assert s.js("window.__pwned === undefined")
    assert s.errors == [] and s.outside == []


def test_coarse_positions_look_and_read_approximate(session, layers):
    s = session
    click_feature(s, project_id(layers, "天山路街道片区更新"))
    warn = s.page.locator(".leaflet-popup-content .pm-warn").inner_text()
    assert "位置为近似" in warn and "街道级" in warn and "900" in warn
    coarse_not_area = layers.projects.precision.isin(["road", "subdistrict"]).sum()
    assert s.js("planmap.haloCount()") == coarse_not_area
    s.js("() => { planmap.map.closePopup(); }")
    click_feature(s, project_id(layers, "中山公园改造"))
    assert s.page.locator(".leaflet-popup-content .pm-warn").count() == 0


def test_hostile_name_shows_as_text_and_runs_nothing(session, layers):
    s = session
    s.page.fill(".pm-search-input", "<img")
    item = s.page.locator(".pm-search-results li").first
    assert item.inner_text().startswith(XSS_NAME)
    item.click()
    s.page.wait_for_selector(".leaflet-popup-content .pm-popup h4")
    assert s.page.inner_text(".leaflet-popup-content .pm-popup h4") == XSS_NAME
    s.js("planmap.setLanguage('en'); planmap.setLanguage('zh')")
    assert s.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert s.dialogs == []
    assert s.errors == []


def test_search_finds_chinese_names(session):
    s = session
    s.page.fill(".pm-search-input", "河道整治")
    assert s.page.inner_text(".pm-search-results li").startswith("新泾港河道整治")
    s.page.fill(".pm-search-input", "不存在的项目")
    assert s.page.inner_text(".pm-search-results") == "无匹配项目"


def test_english_toggle_relabels_the_map(session):
    s = session
    s.page.click(".pm-lang a")
    assert s.js("planmap.language()") == "en"
    assert "Project status" in s.page.inner_text(".pm-legend")
    assert "Completed" in s.page.inner_text(".pm-legend")
    assert "Zones" in s.page.inner_text(".leaflet-control-layers")
    s.page.click(".pm-lang a")
    assert "建成" in s.page.inner_text(".pm-legend")


def test_js_gcj02_agrees_with_prcoords_within_a_metre(session):
    points = [(31.18 + 0.01 * i, 121.30 + 0.02 * j) for i in range(8) for j in range(10)]
    points += [(39.9, 116.4), (22.3, 114.1), (45.7, 126.6)]
    got = session.js("pts => pts.map(([lat, lon]) => planmap.wgs84ToGcj02(lon, lat))", points)
    for (lat, lon), (glon, glat) in zip(points, got, strict=True):
        want = prcoords.wgs_gcj((lat, lon))
        assert metres((glat, glon), (want.lat, want.lon)) < 1.0
        assert metres((glat, glon), (lat, lon)) > 100  # it did move


def test_amap_base_map_redraws_overlays_in_gcj02(session, layers):
    s = session
    ident = project_id(layers, "中山公园改造")
    point = layers.projects.loc[layers.projects.id == ident, "geometry"].iloc[0]
    s.page.click(".leaflet-control-layers-base label:nth-of-type(3) input")  # 高德地图
    assert s.js("planmap.datum()") == "gcj02"
    lat, lng = s.js("id => planmap.latLngOf(id)", ident)
    want = prcoords.wgs_gcj((point.y, point.x))
    assert metres((lat, lng), (want.lat, want.lon)) < 1.0
    assert metres((lat, lng), (point.y, point.x)) > 300
    s.page.wait_for_timeout(200)
    assert s.outside and all("autonavi.com" in url for url in s.outside)
    s.page.click(".leaflet-control-layers-base label:nth-of-type(1) input")  # no base map
    assert s.js("planmap.datum()") == "wgs84"
    lat, lng = s.js("id => planmap.latLngOf(id)", ident)
    assert metres((lat, lng), (point.y, point.x)) < 0.5


def test_js_gcj02_agrees_with_the_python_twin(session):
    datums = pytest.importorskip("geocode.datums", reason="geocode.datums is not there yet")
    points = [(121.33 + 0.013 * i, 31.17 + 0.009 * j) for i in range(10) for j in range(8)]
    got = session.js("pts => pts.map(([lon, lat]) => planmap.wgs84ToGcj02(lon, lat))", points)
    for (lon, lat), (glon, glat) in zip(points, got, strict=True):
        wlon, wlat = datums.wgs84_to_gcj02(lon, lat)
        assert metres((glat, glon), (wlat, wlon)) < 1.0


def test_empty_map_without_reference_still_opens(browser, tmp_path):
    layers = synthetic_layers(0)
    layers.projects = layers.projects.iloc[:0]
    layers.timeline = layers.timeline.iloc[:0]
    path = save_map(map_from_layers(layers, offline=True, reference={}), tmp_path / "empty.html")
    context = browser.new_context()
    s = Session(context.new_page())
    s.page.goto(path.as_uri())
    s.page.wait_for_function("window.planmap && window.planmap.ready", timeout=15000)
    assert s.js("planmap.drawnCount()") == 0
    assert s.js("planmap.years") == [2016, 2016]
    assert s.errors == [] and s.outside == []
    context.close()


def expected_classes(layers) -> dict[str, int]:
    """Delivery class -> drawn projects, from the delivery table; ``none``: drawn, never promised."""
    drawn = set(layers.projects.id)
    promised = layers.delivery[layers.delivery.entity_id.isin(drawn)]
    out = {str(k): int(v) for k, v in promised.delivery_class.value_counts().items()}
    out["none"] = len(drawn - set(promised.entity_id))
    return out


def test_promises_view_colours_by_delivery_class_and_counts_the_table(session, layers):
    s = session
    assert s.js("planmap.hasPromises") is True
    s.page.click(".pm-view button[data-view='promises']")
    assert s.js("planmap.view()") == "promises"
    want = expected_classes(layers)
    assert len(want) == len(DELIVERY_CLASSES) + 1  # every class and the unpromised ones are on the map
    assert s.js("planmap.countsByClass()") == want
    rows = s.page.locator(".pm-legend-row")
    legend = {rows.nth(i).get_attribute("data-class"): int(rows.nth(i).locator(".pm-count").inner_text())
              for i in range(rows.count())}
    assert legend == want
    assert "另有1项承诺未能定位" in s.page.inner_text(".pm-legend")
    promised = dict(zip(layers.delivery.entity_id, layers.delivery.delivery_class, strict=True))
    for ident in layers.projects.id:
        got = s.js("id => planmap.colorOf(id)", ident)
        if ident in promised:
            assert got["color"] == DELIVERY_CLASSES[promised[ident]][2] and not got["muted"], ident
        else:
            assert got["muted"] and got["color"] not in {c for *_, c in DELIVERY_CLASSES.values()}, ident
    assert s.js("planmap.drawnCount()") == len(layers.projects)  # greyed, not hidden
    assert s.page.is_disabled(".pm-year-slider")
    s.page.screenshot(path=str(ARTIFACTS / "map_promises.png"))

    s.page.click(".pm-view button[data-view='status']")
    year = s.js("planmap.year()")
    assert s.js("planmap.countsByStatus()") == expected_counts(layers, year)
    park = project_id(layers, "中山公园改造")
    assert s.js("id => planmap.colorOf(id)", park) == {"color": STATUSES["completed"][2], "muted": False,
                                                        "kind": "point"}
    assert not s.page.is_disabled(".pm-year-slider")
    assert s.errors == []


def test_promise_popup_shows_both_sentences_side_by_side_escaped(session, layers):
    s = session
    s.js("planmap.setView('promises')")
    click_feature(s, project_id(layers, "中山公园改造"))
    popup = s.page.locator(".leaflet-popup-content")
    promise = popup.locator(".pm-pd-promise").inner_text()
    delivery = popup.locator(".pm-pd-delivery").inner_text()
    assert XSS_PROMISE in promise and XSS_DELIVERY in delivery  # shown as text, tags and all
    assert "2018年承诺" in promise and "应于2018年完成" in promise
    assert "《2018年报告》doc_2018.txt · 第10行" in promise
    for part in ("已兑现", "2023年完成", "承诺后5年兑现", "逾期5年", "《2023年报告》doc_2023.txt · 第12行"):
        assert part in delivery
    boxes = [popup.locator(sel).bounding_box() for sel in (".pm-pd-promise", ".pm-pd-delivery")]
    left, right = boxes
    assert left["x"] + left["width"] <= right["x"]  # promise to the left of delivery
    overlap = min(left["y"] + left["height"], right["y"] + right["height"]) - max(left["y"], right["y"])
    assert overlap >= 0.5 * min(left["height"], right["height"])  # on the same row, not stacked
    assert popup.locator("script, img").count() == 0
    assert popup.locator(".pm-evidence *").count() == 0
    assert s.js("window.__pwned === undefined") and s.dialogs == []
    s.page.screenshot(path=str(ARTIFACTS / "map_promise_popup.png"))
    silent = s.js("id => planmap.popupHtml(id)", project_id(layers, XSS_NAME))
    assert "无后续报告" in silent and "之后的文件未再提及" in silent
    s.js("planmap.setView('status')")
    assert "pm-pd" not in s.js("id => planmap.popupHtml(id)", project_id(layers, "中山公园改造"))
    assert s.errors == [] and s.outside == []


def test_coarse_outline_is_clickable_on_its_edge_only(session, layers):
    s = session
    outline = layers.projects[(layers.projects.precision == "area")
                              & layers.projects.geometry.geom_type.eq("Polygon")].iloc[0]
    minx, miny, maxx, maxy = outline.geometry.bounds
    s.js("b => { planmap.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false, padding: [150, 150]}); }",
         [minx, miny, maxx, maxy])

    def click(lon, lat):
        x, y = s.js("([lat, lng]) => { const p = planmap.map.latLngToContainerPoint([lat, lng]);"
                    " const r = planmap.map.getContainer().getBoundingClientRect();"
                    " return [p.x + r.left, p.y + r.top]; }", [lat, lon])
        s.page.mouse.click(x, y)
        s.page.wait_for_timeout(100)
        return s.js("(() => { const e = document.querySelector('.leaflet-popup-content .pm-popup');"
                    " return e ? e.getAttribute('data-id') : null; })()")

    assert s.js("id => planmap.colorOf(id).kind", outline.id) == "outline"
    assert click((minx + maxx) / 2, (miny + maxy) / 2) != outline.id
    s.js("() => { planmap.map.closePopup(); }")
    assert click(minx, (miny + maxy) / 2) == outline.id


def test_without_a_delivery_table_there_is_no_promises_view(browser, tmp_path):
    path = save_map(map_from_layers(synthetic_layers(4, delivery=False), offline=True, reference={}),
                    tmp_path / "plain.html")
    context = browser.new_context()
    s = Session(context.new_page())
    s.page.goto(path.as_uri())
    s.page.wait_for_function("window.planmap && window.planmap.ready", timeout=15000)
    assert s.js("planmap.hasPromises") is False
    assert s.page.locator(".pm-view").count() == 0
    assert s.js("planmap.setView('promises')") == "status"
    assert s.js("planmap.drawnCount()") == 10
    assert s.errors == [] and s.outside == []
    context.close()
