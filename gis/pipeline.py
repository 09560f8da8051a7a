"""The pipeline: documents → mentions → entities → layers → outputs.

``build`` is the one place that calls the stages in order; the command line
is a thin layer over it. Each stage logs what it did and how many.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from gis import settings
from gis._errors import DocumentError, PlanmapError
from gis.atomic import write_text_atomic
from gis.documents import Document
from gis.reading import SUFFIXES, read_document

__all__ = ["STAGES", "BuildReport", "build", "collect_paths", "read_documents"]

log = logging.getLogger(__name__)

#: What a run produces, in order; ``build`` runs them all.
STAGES = ("extract", "layers", "map", "slides")


@dataclass
class BuildReport:
    """What a build read, skipped, found and wrote (``build_report.json``)."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> list[dict[str, Any]]:
        """Documents that could not be read."""
        return [d for d in self.documents if d.get("skipped")]

    def to_json(self) -> str:
        """The report as stable, indented JSON (no timestamps: re-runs compare equal)."""
        data = {
            "planmap_version": _version(),
            "documents": self.documents,
            "counts": self.counts,
            "outputs": sorted(self.outputs),
        }
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _version() -> str:
    from gis import __version__

    return __version__


def collect_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into the document files to read, sorted.

    Parameters
    ----------
    paths : iterable of path-like
        Files (any suffix: an unreadable one is reported, not dropped silently)
        or folders (searched recursively for ``.txt``, ``.pdf``, ``.docx``).

    Raises
    ------
    PlanmapError
        When a path does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise PlanmapError(f"document path {str(path)!r} does not exist")
    unique = sorted(dict.fromkeys(found), key=lambda p: (p.name, str(p)))
    return unique


def read_documents(paths: Sequence[Path], report: BuildReport) -> list[Document]:
    """Read every path; unreadable ones and repeated contents go in the report.

    The same content (same sha256) under two names is read once.
    """
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for path in tqdm(paths, desc="read", unit="doc", disable=len(paths) < 20):
        try:
            doc = read_document(path)
        except DocumentError as exc:
            log.error("skipped %s: %s", path.name, exc)
            report.documents.append({"name": path.name, "skipped": True, "reason": str(exc)})
            continue
        if doc.sha256 in seen:
            log.warning("skipped %s: same content as %s", path.name, seen[doc.sha256])
            report.documents.append(
                {"name": path.name, "skipped": True, "reason": f"duplicate of {seen[doc.sha256]}",
                 "sha256": doc.sha256}
            )
            continue
        seen[doc.sha256] = doc.name
        docs.append(doc)
    return docs


def _doc_record(doc: Document, n_mentions: int) -> dict[str, Any]:
    years = Counter(s.year for s in doc.sentences if s.year)
    return {
        "name": doc.name,
        "skipped": False,
        "title": doc.title,
        "kind": doc.kind,
        "date": doc.date.isoformat() if doc.date else None,
        "encoding": doc.encoding,
        "sha256": doc.sha256,
        "sentences": len(doc.sentences),
        "sentence_years": {str(y): n for y, n in sorted(years.items())},
        "mentions": n_mentions,
    }


def _write_mentions(mentions: Sequence[Any], path: Path) -> Path:
    lines = [json.dumps(m.to_record(), ensure_ascii=False) for m in mentions]
    return write_text_atomic(path, "\n".join(lines) + ("\n" if lines else ""))


def build(
    paths: Sequence[str | Path] | None = None,
    out: str | Path | None = None,
    *,
    stages: Sequence[str] = STAGES,
    offline: bool = False,
    online: str | None = None,
    gazetteer: str | Path | None = None,
) -> BuildReport:
    """Run the pipeline on documents and write the outputs.

    Parameters
    ----------
    paths : sequence of path-like, optional
        Document files or folders; ``None`` reads the bundled seeds.
    out : path-like, optional
        Output folder; ``None`` uses ``settings.output_folder``.
    stages : sequence of str
        Which outputs to write beyond ``mentions.jsonl`` (``STAGES``).
    offline : bool
        Write a self-contained ``map.html`` (Leaflet inlined, no outside request).
    online : str, optional
        ``"nominatim"`` or ``"baidu"``: ask an online geocoder (cached) for what
        the gazetteer cannot place. Off by default.
    gazetteer : path-like, optional
        A user gazetteer that adds to and overrides the bundled one.

    Returns
    -------
    BuildReport
        Also written to ``build_report.json``.

    Raises
    ------
    PlanmapError
        When no document could be read, or an output cannot be written.
    """
    from geocode import extract_mentions, load_gazetteer, resolve_entities, write_unresolved_csv

    out = Path(out or settings.output_folder)
    report = BuildReport()
    files = collect_paths(paths or [settings.seeds_folder])
    log.info("found %d document files", len(files))
    docs = read_documents(files, report)
    if not docs:
        raise PlanmapError(
            f"none of the {len(files)} document files could be read; see the messages above"
        )

    mentions = []
    for doc in tqdm(docs, desc="extract", unit="doc", disable=len(docs) < 20):
        found = extract_mentions(doc)
        report.documents.append(_doc_record(doc, len(found)))
        mentions.extend(found)
    log.info("extracted %d mentions from %d documents", len(mentions), len(docs))
    report.outputs.append(str(_write_mentions(mentions, out / "mentions.jsonl").name))

    gazetteer_gdf = load_gazetteer(extra=gazetteer)
    entities = resolve_entities(mentions, gazetteer=gazetteer_gdf, online=online)
    located = [e for e in entities if e.geometry is not None]
    log.info("resolved %d entities, %d located", len(entities), len(located))
    write_unresolved_csv(entities, out / "unresolved.csv")
    report.outputs.append("unresolved.csv")
    report.counts = {
        "documents_read": len(docs),
        "documents_skipped": len(report.skipped),
        "mentions": len(mentions),
        "entities": len(entities),
        "entities_located": len(located),
        "entities_in_changning": sum(1 for e in entities if e.in_changning),
        "precision": dict(sorted(Counter(e.precision for e in entities).items())),
        "status": dict(sorted(Counter(m.status for m in mentions).items())),
    }

    if any(s in stages for s in ("layers", "map", "slides")):
        from layers import layers_from_entities, save_layers

        documents = [
            {"name": d.name, "title": d.title, "kind": d.kind,
             "date": d.date.isoformat() if d.date else None}
            for d in docs
        ]
        project_layers = layers_from_entities(entities, documents=documents)
        if "layers" in stages:
            written = save_layers(project_layers, out)
            report.outputs.extend(str(Path(p).relative_to(out)) for p in written)
        if "map" in stages:
            from maps import map_from_layers, save_map

            web_map = map_from_layers(project_layers, offline=offline)
            save_map(web_map, out / "map.html", offline=offline)
            report.outputs.append("map.html")
        if "slides" in stages:
            from maps import make_briefing

            written = make_briefing(project_layers, out)
            report.outputs.extend(str(Path(p).relative_to(out)) for p in written)

    report.outputs.append("build_report.json")
    write_text_atomic(out / "build_report.json", report.to_json())
    log.info("wrote %d outputs to %s", len(report.outputs), out)
    return report
