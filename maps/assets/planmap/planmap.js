/* planmap interactive map.
 *
 * planmapInit(map, data) draws every project of one compact data blob on
 * canvas renderers, with a year slider, grouped layer control, legend, name
 * search, language toggle and a WGS84 -> GCJ-02 switch for the Amap base map.
 * Two views colour the same features: "status" (status in the slider's year)
 * and, when the blob has a delivery table, "promises" (delivery class of each
 * promised project; projects without a promise greyed).
 *
 * Readability: coarse polygons (subdistrict, area) are thin dashed outlines
 * without fill, clickable on the outline only; approximate points get a faint
 * halo capped at data.halo_cap_m; line parts outside the district are faint.
 *
 * Every string in `data` was HTML-escaped in Python (html.escape) before it
 * was written, so it is inserted as HTML as is; text typed by the user is
 * escaped here the same way before it is compared or shown.
 * Popups are built on click from the blob: nothing is pre-rendered.
 */
(function () {
  "use strict";

  // ---- WGS84 -> GCJ-02 (the published "Mars coordinates" formula; Krasovsky ellipsoid)
  var GCJ_A = 6378245.0;
  var GCJ_EE = 0.00669342162296594323;

  function outOfChina(lon, lat) {
    return !(lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55);
  }

  function transformLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function transformLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }

  /** [lon, lat] in WGS84 -> [lon, lat] in GCJ-02 (unchanged outside China). */
  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) { return [lon, lat]; }
    var dLat = transformLat(lon - 105.0, lat - 35.0);
    var dLon = transformLon(lon - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI;
    var magic = Math.sin(radLat);
    magic = 1 - GCJ_EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180.0) / (GCJ_A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lon + dLon, lat + dLat];
  }

  function identity(lon, lat) { return [lon, lat]; }

  /** Nested GeoJSON coordinates -> nested Leaflet [lat, lng], through conv. */
  function toLatLngs(coords, conv) {
    if (typeof coords[0] === "number") {
      var p = conv(coords[0], coords[1]);
      return [p[1], p[0]];
    }
    return coords.map(function (c) { return toLatLngs(c, conv); });
  }

  /** The same escaping as Python's html.escape(s, quote=True). */
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }

  function init(map, data) {
    var t0 = performance.now();
    if (typeof data === "string") {  // the id of a <script type="application/json"> element
      data = JSON.parse(document.getElementById(data).textContent);
    }
    var lang = data.lang === "en" ? "en" : "zh";
    var GREY = "#b7b7b7";
    var MUTED = 0.4;          // opacity factor of greyed projects in the promises view
    var delivery = data.delivery || null;
    var view = "status";
    var datum = "wgs84";
    var year = data.years[1];
    var registry = [];        // every vector layer: {layer, coords, point}
    var records = [];         // one per project
    var byId = {};
    var coarse = {};
    data.coarse.forEach(function (p) { coarse[p] = true; });

    function t(key) {
      var v = data.text[key];
      return v ? v[lang === "zh" ? 0 : 1] : esc(key);
    }
    function label(table, key) {
      var v = data.labels[table][key];
      return v ? v[lang === "zh" ? 0 : 1] : esc(key);
    }
    function statusColor(s) {
      var v = data.labels.statuses[s] || data.labels.statuses.mentioned;
      return v[2];
    }
    function classColor(c) {
      var v = data.labels.delivery[c];
      return v ? v[2] : GREY;
    }
    function swatch(col) {
      return "<span class=\"pm-swatch\" style=\"background:" + col + "\"></span>";
    }
    function fmt(s, values) {
      return s.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
    }

    // ---- panes and canvas renderers (one canvas per pane keeps draw order stable)
    function pane(name, z) {
      map.createPane(name).style.zIndex = z;
      return L.canvas({ pane: name, padding: 0.1 });
    }
    var rZones = pane("pmZones", 350);
    var rBelts = pane("pmBelts", 360);
    var rRef = pane("pmReference", 370);
    var rHalo = pane("pmHalo", 390);
    var rProjects = pane("pmProjects", 420);
    ["pmZones", "pmBelts", "pmReference", "pmHalo"].forEach(function (n) {
      map.getPane(n).style.pointerEvents = "none";
    });

    function register(layer, coords, point) {
      registry.push({ layer: layer, coords: coords, point: point });
      if (datum !== "wgs84") { applyDatum(registry[registry.length - 1]); }
      return layer;
    }
    function conv() { return datum === "gcj02" ? wgs84ToGcj02 : identity; }
    function applyDatum(entry) {
      var ll = toLatLngs(entry.coords, conv());
      if (entry.point) { entry.layer.setLatLng(ll); } else { entry.layer.setLatLngs(ll); }
    }

    /** A polygon drawn as an outline: only its edge (not its inside) catches the mouse. */
    var OutlinePolygon = L.Polygon.extend({
      _containsPoint: function (p) { return L.Polyline.prototype._containsPoint.call(this, p, true); },
      _clickTolerance: function () { return L.Polyline.prototype._clickTolerance.call(this) + 3; }
    });

    /** One Leaflet layer for a GeoJSON geometry (points -> circle markers). */
    function makeLayer(geom, style) {
      var c = geom.coordinates;
      var ll = toLatLngs(c, conv());
      switch (geom.type) {
        case "Point":
          return register(L.circleMarker(ll, style), c, true);
        case "LineString":
        case "MultiLineString":
          return register(L.polyline(ll, style), c, false);
        case "Polygon":
        case "MultiPolygon":
          return register(style.fill === false ? new OutlinePolygon(ll, style) : L.polygon(ll, style), c, false);
        case "MultiPoint":
          return L.featureGroup(c.map(function (p) {
            return register(L.circleMarker(toLatLngs(p, conv()), style), p, true);
          }));
        default:
          return null;
      }
    }

    function geoGroup(fc, styleOf, tooltipOf) {
      var group = L.layerGroup();
      fc.features.forEach(function (f) {
        var layer = makeLayer(f.geometry, styleOf(f.properties));
        if (!layer) { return; }
        if (tooltipOf) { layer.bindTooltip(tooltipOf(f.properties), { sticky: true }); }
        group.addLayer(layer);
      });
      return group;
    }

    // ---- zones, belts, reference
    var zoneLayers = {};
    Object.keys(data.zones).forEach(function (z) {
      zoneLayers[z] = geoGroup(data.zones[z], function () {
        return { renderer: rZones, interactive: false, color: data.labels.zones[z][2], weight: 1,
          opacity: 0.8, fillColor: data.labels.zones[z][2], fillOpacity: 0.16 };
      });
      zoneLayers[z].addTo(map);
    });
    var beltLayers = {};
    Object.keys(data.belts).forEach(function (b) {
      beltLayers[b] = geoGroup(data.belts[b], function () {
        return { renderer: rBelts, interactive: false, color: data.labels.belts[b][2], weight: 2,
          dashArray: "8 6", opacity: 0.55, fill: true, fillOpacity: 0.03 };
      });
      beltLayers[b].addTo(map);
    });
    var refStyles = {
      district: { renderer: rRef, interactive: false, color: "#444", weight: 2.5, fill: false },
      subdistricts: { renderer: rRef, interactive: false, color: "#888", weight: 1, dashArray: "3 3", fill: false },
      creek: { renderer: rRef, interactive: false, color: "#6fa8dc", weight: 3, opacity: 0.8, fill: false },
      metro_lines: { renderer: rRef, interactive: false, color: "#b4a7d6", weight: 1.5, opacity: 0.7, fill: false },
      metro_stations: { renderer: rProjects, radius: 3, color: "#555", weight: 1, fillColor: "#fff", fillOpacity: 1 }
    };
    var refLayers = {};
    Object.keys(data.reference).forEach(function (k) {
      var style = refStyles[k] || refStyles.subdistricts;
      refLayers[k] = geoGroup(data.reference[k], function () { return style; },
        k === "metro_stations" || k === "subdistricts" ? function (p) { return p.name || ""; } : null);
      refLayers[k].addTo(map);
    });

    // ---- projects
    // featureGroups pass their members' events up: one shared popup and tooltip serve all
    var projectGroups = {};
    var recByStamp = {};
    var popup = L.popup({ maxWidth: 560, minWidth: 260 });
    var tooltip = L.tooltip({ direction: "top", offset: [0, -6] });
    function recOf(e) { return recByStamp[L.stamp(e.propagatedFrom || e.layer)]; }
    data.zone_order.forEach(function (z) {
      projectGroups[z] = L.featureGroup().addTo(map)
        .on("click", function (e) {
          var rec = recOf(e);
          if (rec) { popup.setLatLng(e.latlng).setContent(popupHtml(rec)).openOn(map); }
        })
        .on("mouseover mousemove", function (e) {
          var rec = recOf(e);
          if (rec) { tooltip.setContent(rec.p.n); map.openTooltip(tooltip, e.latlng); }
        })
        .on("mouseout", function () { map.closeTooltip(tooltip); });
    });
    // links in a popup (other projects sharing an outline) open that project
    map.on("popupopen", function (e) {
      var el = e.popup.getElement();
      if (!el) { return; }
      el.querySelectorAll("a[data-id]").forEach(function (a) {
        a.addEventListener("click", function (ev) { ev.preventDefault(); focus(a.getAttribute("data-id")); });
      });
    });

    function statusAt(rec, y) {
      var s = null;
      for (var i = 0; i < rec.years.length; i++) {
        if (rec.years[i] <= y) { s = rec.p.y[String(rec.years[i])]; } else { break; }
      }
      return s;
    }

    /** Base style of each kind of feature; paint() scales its opacities. */
    var KIND_STYLE = {
      point: { color: "#ffffff", weight: 1, opacity: 1, fillOpacity: 0.9, radius: 6 },
      line: { weight: 3, opacity: 0.9, lineCap: "round" },
      area: { weight: 2, opacity: 1, fillOpacity: 0.35 },
      outline: { weight: 1.5, opacity: 0.75, dashArray: "6 4", fill: false }
    };
    var HALO_STYLE = {
      line: { weight: 10, opacity: 0.14, lineCap: "round" },
      circle: { weight: 1, opacity: 0.35, dashArray: "3 4", fillOpacity: 0.035 }
    };
    var shared = {};          // outline key -> records drawn with that same coarse outline

    data.projects.forEach(function (p) {
      var isCoarse = !!coarse[p.p];
      var g = p.geom;
      var kind = g.type.indexOf("Line") >= 0 ? "line" :
        (g.type.indexOf("Polygon") >= 0 ? (isCoarse ? "outline" : "area") : "point");
      var style = L.extend({ renderer: rProjects, color: "#999", fillColor: "#999" }, KIND_STYLE[kind]);
      var layer = makeLayer(g, style);
      if (!layer) { return; }
      var halo = null;
      if (isCoarse && kind === "line") {
        halo = makeLayer(g, L.extend({ renderer: rHalo, interactive: false, color: "#999" }, HALO_STYLE.line));
      } else if (isCoarse && kind === "point") {
        var pts = g.type === "Point" ? [g.coordinates] : g.coordinates;
        var radius = Math.min(Math.max(p.pm || 0, 150), data.halo_cap_m || 500);
        halo = L.featureGroup(pts.map(function (pt) {
          return register(L.circle(toLatLngs(pt, conv()), L.extend({ renderer: rHalo, interactive: false,
            radius: radius, color: "#999", fillColor: "#999" }, HALO_STYLE.circle)), pt, true);
        }));
      }
      var outside = p.go ? makeLayer(p.go, { renderer: rHalo, interactive: false, color: "#999", weight: 2,
        opacity: 0.3, dashArray: "2 5", lineCap: "round" }) : null;
      var rec = { p: p, kind: kind, layer: layer, halo: halo, outside: outside, cur: undefined, paintKey: null,
        muted: false, shown: false, d: delivery ? delivery[p.i] || null : null,
        group: projectGroups[p.z] || projectGroups[data.zone_order[data.zone_order.length - 1]],
        years: Object.keys(p.y).map(Number).sort(function (a, b) { return a - b; }) };
      recByStamp[L.stamp(layer)] = rec;
      if (layer.eachLayer) { layer.eachLayer(function (l) { recByStamp[L.stamp(l)] = rec; }); }
      if (p.k !== undefined) { (shared[p.k] = shared[p.k] || []).push(rec); }
      records.push(rec);
      byId[p.i] = rec;
    });

    function firstPath(layer) {
      if (layer.getLayers) { return layer.getLayers()[0]; }
      return layer;
    }

    /** Colour a record; muted ones (no promise, promises view) are grey and faint. */
    function paint(rec, col, muted) {
      var f = muted ? MUTED : 1;
      var base = KIND_STYLE[rec.kind];
      if (rec.kind === "point") {
        rec.layer.setStyle({ fillColor: col, fillOpacity: base.fillOpacity * f, opacity: f });
      } else if (rec.kind === "line" || rec.kind === "outline") {
        rec.layer.setStyle({ color: col, opacity: base.opacity * f });
      } else {
        rec.layer.setStyle({ color: col, fillColor: col, opacity: f, fillOpacity: base.fillOpacity * f });
      }
      if (rec.halo) {
        var h = rec.kind === "line" ? HALO_STYLE.line : HALO_STYLE.circle;
        rec.halo.setStyle({ color: col, fillColor: col, opacity: h.opacity * f,
          fillOpacity: (h.fillOpacity || 0) * f });
      }
      if (rec.outside) { rec.outside.setStyle({ color: col, opacity: 0.3 * f }); }
      rec.muted = muted;
    }

    function showRec(rec, on) {
      if (on === rec.shown) { return false; }
      [rec.outside, rec.halo, rec.layer].forEach(function (l) {
        if (!l) { return; }
        if (on) { rec.group.addLayer(l); } else { rec.group.removeLayer(l); }
      });
      rec.shown = on;
      return on;
    }

    /** Show and colour every record for the current view and year. */
    function refresh() {
      var added = 0;
      var restyled = false;
      records.forEach(function (rec) {
        var s = statusAt(rec, year);
        rec.cur = s;
        var visible, col, muted = false, key;
        if (view === "promises") {
          visible = true;
          if (rec.d) { col = classColor(rec.d.c); key = "d:" + rec.d.c; } else { col = GREY; muted = true; key = "none"; }
        } else {
          visible = s !== null;
          col = visible ? statusColor(s) : null;
          key = "s:" + s;
        }
        if (!visible) { showRec(rec, false); return; }
        if (key !== rec.paintKey) {
          restyled = restyled || muted !== rec.muted;
          paint(rec, col, muted);
          rec.paintKey = key;
        }
        if (showRec(rec, true)) { added += 1; }
      });
      if ((added || restyled) && !firstRefresh) { restack(); }
      firstRefresh = false;
      updateYearControl();
      updateViewControl();
      updateLegend();
    }

    var firstRefresh = true;
    function setYear(y) {
      year = Math.max(data.years[0], Math.min(data.years[1], Math.round(Number(y))));
      refresh();
      return year;
    }

    function setView(v) {
      view = v === "promises" && delivery ? "promises" : "status";
      refresh();
      map.closePopup();
      return view;
    }

    /** Records come sorted big areas -> points; re-shown ones go back to their place, greyed ones behind. */
    function restack() {
      records.forEach(function (rec) {
        if (rec.shown && rec.muted && rec.layer._map) { rec.layer.bringToFront(); }
      });
      records.forEach(function (rec) {
        if (rec.shown && !rec.muted && rec.layer._map) { rec.layer.bringToFront(); }
      });
    }

    // ---- drawn-feature counts (what the canvas holds, not what the data says)
    function isDrawn(rec) {
      var path = firstPath(rec.layer);
      return !!(path && rProjects._layers && rProjects._layers[L.stamp(path)]);
    }
    function drawnCount() {
      var n = 0;
      records.forEach(function (rec) { if (isDrawn(rec)) { n += 1; } });
      return n;
    }
    /** Status -> drawn projects (status view: what the legend counts). */
    function countsByStatus() {
      var out = {};
      records.forEach(function (rec) { if (isDrawn(rec)) { out[rec.cur] = (out[rec.cur] || 0) + 1; } });
      return out;
    }
    /** Delivery class -> drawn projects ("none": no promise, greyed), promises view or not. */
    function countsByClass() {
      var out = {};
      records.forEach(function (rec) {
        if (isDrawn(rec)) { var c = rec.d ? rec.d.c : "none"; out[c] = (out[c] || 0) + 1; }
      });
      return out;
    }
    function haloCount() {
      var n = 0;
      records.forEach(function (rec) {
        if (rec.halo) {
          var h = firstPath(rec.halo);
          if (h && rHalo._layers && rHalo._layers[L.stamp(h)]) { n += 1; }
        }
      });
      return n;
    }

    // ---- popup, built on demand
    function docLine(docIndex, line) {
      var doc = docIndex === null || docIndex === undefined ? "" : (data.docs[docIndex] || "");
      return "<div class=\"pm-src\">" + doc + (line !== null && line !== undefined && line !== "" ?
        " · " + fmt(t("line_n"), { n: line }) : "") + "</div>";
    }
    function sentence(text) { return "<div class=\"pm-evidence\">「" + text + "」</div>"; }

    /** Promise and delivery side by side. */
    function promiseHtml(d) {
      var pm = [fmt(t("promised_in"), { y: d.py })];
      if (d.pe) { pm.push(fmt(t("period"), { p: d.pe })); }
      if (d.dy !== null) { pm.push(fmt(t("due_by"), { y: d.dy })); }
      var dm = [swatch(classColor(d.c)) + "<b>" + label("delivery", d.c) + "</b>"];
      if (d.dn !== null) {
        dm.push(fmt(t("done_in"), { y: d.dn }));
        if (d.lag !== null) { dm.push(fmt(t("lag"), { n: d.lag })); }
        if (d.late !== null) {
          dm.push(d.late > 0 ? fmt(t("late"), { n: d.late }) : d.late < 0 ? fmt(t("early"), { n: -d.late }) : t("on_time"));
        }
      } else if (d.fw !== null) {
        dm.push(fmt(t("work_in"), { y: d.fw }));
      }
      if (d.lm) { dm.push(fmt(t("later_mentions"), { n: d.lm })); }
      var right = d.dx ? sentence(d.dx) + docLine(d.dd, d.dl) : "<div class=\"pm-none\">" + t("no_later") + "</div>";
      return "<div class=\"pm-pd\">" +
        "<div class=\"pm-pd-col pm-pd-promise\"><h5>" + t("promise") + "</h5><div class=\"pm-pd-meta\">" +
        pm.join(" · ") + "</div>" + sentence(d.ps) + docLine(d.pd, d.pl) + "</div>" +
        "<div class=\"pm-pd-col pm-pd-delivery\"><h5>" + t("delivery") + "</h5><div class=\"pm-pd-meta\">" +
        dm.join(" · ") + "</div>" + right + "</div></div>";
    }

    function popupHtml(rec) {
      var p = rec.p;
      var rows = [];
      function row(k, v) { rows.push("<tr><th>" + t(k) + "</th><td>" + v + "</td></tr>"); }
      var s = statusAt(rec, year);
      row("type", label("types", p.t));
      row("zone", p.z === data.outside ? t("outside") : label("zones", p.z));
      row("belts", p.b.length ? p.b.map(function (b) { return label("belts", b); }).join("、") : t("none"));
      var prec = label("precisions", p.p);
      if (p.pm) { prec += " (" + fmt(t("plus_minus"), { m: Math.round(p.pm) }) + ")"; }
      row("precision", prec);
      row("source", p.s + (p.g ? " · " + p.g : ""));
      row("status_at", s === null ? t("not_yet") :
        swatch(statusColor(s)) + label("statuses", s) + " (" + fmt(t("in_year"), { y: year }) + ")");
      if (rec.d && view === "status") { row("delivery_class", swatch(classColor(rec.d.c)) + label("delivery", rec.d.c)); }
      var warn = "";
      if (coarse[p.p]) {
        warn = "<div class=\"pm-warn\">" + fmt(t("approx_warning"),
          { p: label("precisions", p.p), m: Math.round(p.pm || 0) }) + "</div>";
      }
      var same = "";
      if (p.k !== undefined && shared[p.k]) {
        var others = shared[p.k].filter(function (r) { return r !== rec; }).map(function (r) {
          return "<a href=\"#\" data-id=\"" + r.p.i + "\">" + r.p.n + "</a>";
        });
        if (others.length) { same = "<div class=\"pm-same\">" + t("same_outline") + " " + others.join("、") + "</div>"; }
      }
      var items = (data.timeline[p.i] || []).map(function (r) {
        return "<li><b>" + r[0] + "</b> " + swatch(statusColor(r[1])) + label("statuses", r[1]) + sentence(r[4]) +
          docLine(r[2], r[3]) + "</li>";
      });
      var pd = rec.d && view === "promises" ? promiseHtml(rec.d) : "";
      return "<div class=\"pm-popup" + (pd ? " pm-popup-wide" : "") + "\" data-id=\"" + p.i + "\"><h4>" + p.n +
        "</h4>" + warn + pd + "<table>" + rows.join("") + "</table>" + same + "<h5>" + t("timeline") + " (" +
        items.length + ")</h5><ol class=\"pm-timeline\">" + items.join("") + "</ol></div>";
    }

    function focus(id) {
      var rec = byId[id];
      if (!rec) { return false; }
      var path = firstPath(rec.layer);
      var where = path.getLatLng ? path.getLatLng() : path.getBounds().getCenter();
      if (path.getBounds) {
        map.fitBounds(path.getBounds(), { maxZoom: 16, animate: false });
      } else {
        map.setView(where, 16, { animate: false });
      }
      popup.setLatLng(where).setContent(popupHtml(rec)).openOn(map);
      return true;
    }

    function search(q) {
      var needle = esc(String(q || "").trim());
      if (!needle) { return []; }
      var out = [];
      for (var i = 0; i < records.length && out.length < 10; i++) {
        var p = records[i].p;
        if (p.n.indexOf(needle) >= 0 || (p.a && p.a.indexOf(needle) >= 0)) { out.push(p.i); }
      }
      return out;
    }

    // ---- controls
    var YearControl = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "pm-control pm-year");
        div.innerHTML = "<div class=\"pm-year-title\"></div>" +
          "<input type=\"range\" class=\"pm-year-slider\" min=\"" + data.years[0] + "\" max=\"" +
          data.years[1] + "\" step=\"1\" value=\"" + year + "\">" +
          "<div class=\"pm-year-ends\"><span>" + data.years[0] + "</span><span>" + data.years[1] + "</span></div>";
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        div.querySelector("input").addEventListener("input", function (e) { setYear(e.target.value); });
        return div;
      }
    });
    var yearControl = new YearControl().addTo(map);
    function updateYearControl() {
      var div = yearControl.getContainer();
      var off = view === "promises";
      div.querySelector(".pm-year-title").innerHTML = off ? t("view_all_years") : t("year") + " <b>" + year + "</b>";
      div.querySelector("input").value = String(year);
      div.querySelector("input").disabled = off;
      div.classList.toggle("pm-disabled", off);
    }

    // ---- view switch (only with a delivery table)
    var ViewControl = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "pm-control pm-view");
        div.innerHTML = "<span class=\"pm-view-title\"></span>" +
          "<button type=\"button\" data-view=\"status\"></button>" +
          "<button type=\"button\" data-view=\"promises\"></button>";
        L.DomEvent.disableClickPropagation(div);
        div.querySelectorAll("button").forEach(function (b) {
          b.addEventListener("click", function () { setView(b.getAttribute("data-view")); });
        });
        return div;
      }
    });
    var viewControl = delivery ? new ViewControl().addTo(map) : null;
    function updateViewControl() {
      if (!viewControl) { return; }
      var div = viewControl.getContainer();
      div.querySelector(".pm-view-title").innerHTML = t("view");
      div.querySelectorAll("button").forEach(function (b) {
        var v = b.getAttribute("data-view");
        b.innerHTML = t(v === "status" ? "view_status" : "view_promises");
        b.classList.toggle("pm-active", v === view);
        b.setAttribute("aria-pressed", v === view ? "true" : "false");
      });
    }

    var LegendControl = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "pm-control pm-legend");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    var legend = new LegendControl().addTo(map);
    function legendRow(attr, key, col, text, n) {
      return "<div class=\"pm-legend-row\" " + attr + "=\"" + key + "\">" + swatch(col) + text +
        " <span class=\"pm-count\">" + n + "</span></div>";
    }
    function updateLegend() {
      var html, counts;
      if (view === "promises") {
        counts = countsByClass();
        html = "<div class=\"pm-legend-title\">" + t("legend_promises") + "</div>";
        Object.keys(data.labels.delivery).forEach(function (c) {
          html += legendRow("data-class", c, classColor(c), label("delivery", c), counts[c] || 0);
        });
        html += legendRow("data-class", "none", GREY, t("no_promise"), counts.none || 0);
        if (data.delivery_not_drawn) {
          html += "<div class=\"pm-legend-note\">" + fmt(t("unlocated_promises"), { n: data.delivery_not_drawn }) + "</div>";
        }
      } else {
        counts = countsByStatus();
        html = "<div class=\"pm-legend-title\">" + t("legend") + " · " + year + "</div>";
        Object.keys(data.labels.statuses).forEach(function (s) {
          html += legendRow("data-status", s, statusColor(s), label("statuses", s), counts[s] || 0);
        });
      }
      html += "<div class=\"pm-legend-note\"><span class=\"pm-halo-swatch\"></span>" +
        fmt(t("halo_note"), { m: data.halo_cap_m || 500 }) + "</div>";
      if (records.some(function (r) { return r.outside; })) {
        html += "<div class=\"pm-legend-note\">" + t("outside_note") + "</div>";
      }
      html += "<div class=\"pm-legend-note\">" + t("attribution") + "</div>";
      legend.getContainer().innerHTML = html;
    }

    var SearchControl = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "pm-control pm-search");
        div.innerHTML = "<input type=\"search\" class=\"pm-search-input\"><ul class=\"pm-search-results\"></ul>";
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var input = div.querySelector("input");
        var list = div.querySelector("ul");
        function show() {
          var ids = search(input.value);
          list.innerHTML = "";
          if (input.value.trim() && !ids.length) {
            list.innerHTML = "<li class=\"pm-empty\">" + t("no_match") + "</li>";
          }
          ids.forEach(function (id) {
            var li = document.createElement("li");
            li.innerHTML = byId[id].p.n + " <small>" + label("types", byId[id].p.t) + "</small>";
            li.setAttribute("data-id", id);
            li.addEventListener("click", function () { focus(id); });
            list.appendChild(li);
          });
        }
        input.addEventListener("input", show);
        input.addEventListener("keydown", function (e) {
          if (e.key === "Enter") { var ids = search(input.value); if (ids.length) { focus(ids[0]); } }
        });
        return div;
      }
    });
    var searchControl = new SearchControl().addTo(map);

    var LangControl = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-bar pm-lang");
        div.innerHTML = "<a href=\"#\" role=\"button\"></a>";
        L.DomEvent.disableClickPropagation(div);
        div.querySelector("a").addEventListener("click", function (e) {
          e.preventDefault();
          setLanguage(lang === "zh" ? "en" : "zh");
        });
        return div;
      }
    });
    var langControl = new LangControl().addTo(map);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

    // ---- base maps (none by default: vector outlines only, nothing fetched)
    var bases = {
      none: L.layerGroup([], { planmapDatum: "wgs84" }),
      osm: L.tileLayer(data.tiles.osm.url, { maxZoom: 19, attribution: data.tiles.osm.attribution,
        planmapDatum: "wgs84" }),
      amap: L.tileLayer(data.tiles.amap.url, { maxZoom: 18, subdomains: data.tiles.amap.subdomains,
        attribution: data.tiles.amap.attribution, planmapDatum: "gcj02" })
    };
    bases.none.addTo(map);
    map.on("baselayerchange", function (e) { setDatum(e.layer.options.planmapDatum || "wgs84"); });

    function setDatum(d) {
      d = d === "gcj02" ? "gcj02" : "wgs84";
      if (d === datum) { return datum; }
      datum = d;
      registry.forEach(applyDatum);
      return datum;
    }

    var layerControl = null;
    function buildLayerControl() {
      if (layerControl) { layerControl.remove(); }
      var baseLayers = {};
      baseLayers[t("base_none")] = bases.none;
      baseLayers[t("base_osm")] = bases.osm;
      baseLayers[t("base_amap")] = bases.amap;
      var groups = {};
      var g;
      g = groups[t("group_zones")] = {};
      Object.keys(zoneLayers).forEach(function (z) { g[label("zones", z)] = zoneLayers[z]; });
      g = groups[t("group_belts")] = {};
      Object.keys(beltLayers).forEach(function (b) { g[label("belts", b)] = beltLayers[b]; });
      g = groups[t("group_projects")] = {};
      data.zone_order.forEach(function (z) {
        var n = records.filter(function (r) { return r.group === projectGroups[z]; }).length;
        if (!n) { return; }
        var name = z === data.outside ? t("outside") : label("zones", z);
        g["<span class=\"pm-project-group\" data-zone=\"" + z + "\">" + name + " (" + n + ")</span>"] = projectGroups[z];
      });
      g = groups[t("group_reference")] = {};
      Object.keys(refLayers).forEach(function (k) { g[t("ref_" + k)] = refLayers[k]; });
      layerControl = L.control.groupedLayers(baseLayers, groups, { collapsed: data.collapsed_layers || window.innerHeight < 640 });
      layerControl.addTo(map);
    }

    function setLanguage(l) {
      lang = l === "en" ? "en" : "zh";
      langControl.getContainer().querySelector("a").innerHTML = t("lang_button");
      searchControl.getContainer().querySelector("input").setAttribute("placeholder", t("search"));
      document.title = t("title");
      buildLayerControl();
      updateYearControl();
      updateViewControl();
      updateLegend();
      map.closePopup();
      return lang;
    }

    // ---- start: fit to the district, latest year
    var fitTo = refLayers.district ? L.featureGroup(refLayers.district.getLayers()) : null;
    if (!fitTo || !fitTo.getLayers().length) {
      fitTo = L.featureGroup(records.map(function (r) { return firstPath(r.layer); }));
    }
    if (fitTo.getLayers().length) {
      // fractional zoom so the district fills the room the layer control leaves
      map.options.zoomSnap = 0.25;
      var right = Math.min(240, map.getSize().x / 5);
      map.fitBounds(fitTo.getBounds(), { paddingTopLeft: [10, 10], paddingBottomRight: [right, 10], animate: false });
    }
    setLanguage(lang);
    setYear(year);

    window.planmap = {
      map: map,
      years: data.years.slice(),
      projectCount: records.length,
      year: function () { return year; },
      setYear: setYear,
      drawnCount: drawnCount,
      countsByStatus: countsByStatus,
      countsByClass: countsByClass,
      setView: setView,
      view: function () { return view; },
      hasPromises: !!delivery,
      haloCount: haloCount,
      popupHtml: function (id) { return byId[id] ? popupHtml(byId[id]) : null; },
      focus: focus,
      search: search,
      setLanguage: setLanguage,
      language: function () { return lang; },
      setDatum: setDatum,
      datum: function () { return datum; },
      wgs84ToGcj02: wgs84ToGcj02,
      latLngOf: function (id) {
        var rec = byId[id];
        if (!rec) { return null; }
        var path = firstPath(rec.layer);
        var ll = path.getLatLng ? path.getLatLng() : path.getLatLngs().flat(3)[0];
        return [ll.lat, ll.lng];
      },
      ids: function () { return records.map(function (r) { return r.p.i; }); },
      colorOf: function (id) {
        var rec = byId[id];
        if (!rec) { return null; }
        var o = firstPath(rec.layer).options;
        return { color: rec.kind === "point" ? o.fillColor : o.color, muted: rec.muted, kind: rec.kind };
      },
      timings: { initStart: t0, initEnd: performance.now() },
      ready: true
    };
    return window.planmap;
  }

  window.planmapInit = init;
  window.planmapWgs84ToGcj02 = wgs84ToGcj02;
})();
