"""The pipeline: documents → mentions → entities → layers → outputs.

``build`` is the one place that calls the stages in order; the command line
is a thin layer over it. Each stage logs what it did and how many.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from tqdm import tqdm

from gis import settings
from gis._background import Awaiting as _Awaiting
from gis._background import Background as _Background
from gis._briefing import start_briefing
from gis._errors import DocumentError, PlanmapError
from gis.atomic import atomic_path, write_bytes_atomic, write_text_atomic
from gis.documents import Document
from gis.reading import SUFFIXES, read_document
from gis.registry import registry_paths

__all__ = ["STAGES", "BuildReport", "build", "collect_paths", "extract_documents"]

log = logging.getLogger(__name__)

#: What a run produces, in order; ``build`` runs them all.
STAGES = ("extract", "layers", "map", "slides")


@dataclass
class BuildReport:
    """What a build read, skipped, found and wrote (``build_report.json``)."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    cache_hits: int = 0

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


def _fingerprint() -> str:
    """Hash of everything that decides what extraction finds: code, lexicons, gazetteer."""
    root = Path(__file__).resolve().parent.parent
    parts = sorted(
        [*(root / "gis").glob("*.py"), *(root / "geocode").glob("*.py"),
         root / "layers" / "stated.py",
         *(p for p in (root / "geocode" / "data").rglob("*") if p.is_file() and "sources" not in p.parts)]
    )
    digest = hashlib.sha256(_version().encode())
    for part in parts:
        digest.update(part.name.encode())
        digest.update(part.read_bytes())
    return digest.hexdigest()[:16]


try:  # a faster JSON for the extraction cache, when installed
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None


def _json_loads(data: bytes) -> Any:
    """Decode a cache entry (``orjson`` when installed, else ``json``)."""
    if _orjson is not None:
        return _orjson.loads(data)
    return json.loads(data.decode("utf-8"))


def _json_dumps(value: Any) -> bytes:
    """Encode a cache entry as UTF-8 JSON (``orjson`` when installed, else ``json``)."""
    if _orjson is not None:
        return _orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


#: the first bytes of a cache entry (``_pack_result``); a change of layout changes them.
_PACKED = b"planmap-extract-1\n"


def _pack_result(result: dict[str, Any]) -> bytes:
    """A cache entry: the result as JSON, its integer columns as raw int64 arrays after it.

    Decoding hundreds of thousands of integers from JSON text, and turning the
    lists into arrays, was a third of reading a large archive's cache; the
    integer columns (``codes`` of the shared ones, line, start, end, year with
    ``None`` as -1) are stored as bytes instead and come back as arrays
    (``_unpack_result``). The layout: ``_PACKED``, the JSON's length (8 bytes,
    little-endian), the JSON, the arrays in the order the JSON names them.
    """
    import numpy as np

    from geocode.columns import INTEGER, integer_array

    columns = dict(result["columns"])
    arrays: list[bytes] = []
    for name, column in columns.items():
        if isinstance(column, dict):
            values = column["codes"]
            columns[name] = {"values": column["values"], "codes": len(arrays)}
        elif name in INTEGER:
            values = integer_array(column)
            columns[name] = len(arrays)
        else:
            continue
        arrays.append(np.asarray(values, dtype="<i8").tobytes())
    header = _json_dumps({**result, "columns": columns, "arrays": [len(a) for a in arrays]})
    return b"".join((_PACKED, len(header).to_bytes(8, "little"), header, *arrays))


def _unpack_result(data: bytes) -> dict[str, Any]:
    """The result of ``_pack_result``; integer columns as int64 arrays (``None`` as -1).

    Raises
    ------
    ValueError
        When the bytes are not such an entry or are cut short.
    """
    import numpy as np

    from geocode.columns import INTEGER

    if not data.startswith(_PACKED):
        raise ValueError("not a planmap extraction cache entry")
    at = len(_PACKED)
    size = int.from_bytes(data[at:at + 8], "little")
    result = _json_loads(data[at + 8:at + 8 + size])
    at += 8 + size
    arrays = []
    for length in result.pop("arrays"):
        if at + length > len(data):
            raise ValueError("a cache entry is cut short")
        arrays.append(np.frombuffer(data, dtype="<i8", count=length // 8, offset=at))
        at += length
    for name, column in result["columns"].items():
        if isinstance(column, dict):
            column["codes"] = arrays[column["codes"]]
        elif name in INTEGER:  # a missing year stays MISSING, as MentionColumns keeps it
            result["columns"][name] = arrays[column]
    return result


def _registry_bytes(path: Path) -> bytes:
    """The registries a document is read with: part of its extraction cache key."""
    return b"".join(p.read_bytes() for p in registry_paths(path))


def _extract_one(path: Path) -> dict[str, Any]:
    """Read and extract one document (runs in a worker process with ``--jobs``)."""
    from geocode import extract_mentions
    from geocode.model import MENTION_FIELDS

    try:
        doc = read_document(path)
    except DocumentError as exc:
        return _result({"name": path.name, "skipped": True, "reason": str(exc)})
    if doc.date is None and not any(s.year for s in doc.sentences):
        reason = (
            f"{doc.name!r} has no date and no dated sections; add it to a registry.json "
            "beside it with its date"
        )
        return _result({"name": doc.name, "skipped": True, "reason": reason, "sha256": doc.sha256})
    from layers.stated import stated_by_mention

    mentions = extract_mentions(doc)
    rows = [[getattr(m, f) for f in MENTION_FIELDS] for m in mentions]
    for row, m in zip(rows, mentions, strict=True):
        row[MENTION_FIELDS.index("locators")] = list(m.locators)
    result = _result(_doc_record(doc, len(mentions)), rows)
    # per-document products, cached with the extraction so a warm build only merges them
    stated = stated_by_mention(mentions)
    result["stated"] = [
        [i, *stated[key]] for i, m in enumerate(mentions)
        if (key := (m.doc, m.start, m.end, m.name)) in stated
    ]
    result["jsonl"] = _mention_block(mentions)
    return result


def _mention_block(mentions: Sequence[Any]) -> bytes | None:
    """The document's lines of ``mentions.jsonl``, or ``None`` when their order is not unique.

    ``mentions.jsonl`` is sorted by (doc, start, end, name), stably over the
    entities' order; when two mentions of a document share that key, their
    order depends on the whole archive and the block is not kept.
    """
    ordered = sorted(mentions, key=_order_in_doc)
    keys = [_order_in_doc(m) for m in ordered]
    if len(set(keys)) < len(keys):
        return None
    return _jsonl(_records(ordered)) if ordered else b""


def _order_in_doc(m: Any) -> tuple[int, int, str]:
    return (m.start, m.end, m.name)


def _result(record: dict[str, Any], rows: list[list[Any]] | None = None) -> dict[str, Any]:
    """An extraction result (also the cache entry): the document record and its mentions.

    Mentions are stored by column, in ``MENTION_FIELDS`` order (named once in
    ``fields``); a column whose values repeat (``geocode.columns.CODED``: the document
    name, sentences, sections, names, statuses) is stored as its distinct
    ``values`` and one integer ``code`` per mention. Decoding integers is much
    faster than decoding the same sentence again for each of its mentions, and
    equal values come back as one object.

    Parameters
    ----------
    record : dict
        The document record (``_doc_record``) or the reason it was skipped.
    rows : list of list, optional
        One row of values per mention, in ``MENTION_FIELDS`` order.
    """
    from geocode.columns import CODED
    from geocode.model import MENTION_FIELDS

    rows = rows or []
    columns: dict[str, Any] = {}
    for name, column in zip(MENTION_FIELDS, zip(*rows, strict=True) if rows else
                            [()] * len(MENTION_FIELDS), strict=True):
        if name in CODED:
            index: dict[Any, int] = {}
            codes = [index.setdefault(v, len(index)) for v in column]
            columns[name] = {"values": list(index), "codes": codes}
        else:
            columns[name] = list(column)
    return {"record": record, "fields": list(MENTION_FIELDS), "n": len(rows),
            "columns": columns, "stated": []}


@dataclass
class ExtractionProducts:
    """What the extraction of each document gives beyond its mentions (cached with them).

    Attributes
    ----------
    stated : dict
        ``layers.stated.stated_by_mention`` of every mention read, merged over
        the documents.
    blocks : list of (str, Path or None)
        Per document read, in order: its name and the cached file of its
        ``mentions.jsonl`` lines (``None`` when there is none).
    columns : MentionColumns or None
        Every mention returned, by column, in the same order
        (``geocode.columns``): the timeline is built from it.
    """

    stated: dict[tuple[str, int, int, str], tuple[str, list[str]]] = field(default_factory=dict)
    blocks: list[tuple[str, Path | None]] = field(default_factory=list)
    columns: Any = None  # a geocode.columns.MentionColumns, set by extract_documents


def extract_documents(
    paths: Sequence[Path],
    report: BuildReport,
    *,
    jobs: int = 1,
    cache: bool = True,
    products: ExtractionProducts | None = None,
) -> list[Any]:
    """Read and extract every document; skipped ones and repeats go in the report.

    Documents are handled one at a time (or ``jobs`` at a time in worker
    processes) and only their mentions are kept, so memory is bounded by the
    largest document, not the archive. The same content (same sha256) under
    two names is read once. With ``cache``, a document whose bytes, registry
    entry and extractor are unchanged is not read again: its mentions come
    from ``settings.cache_folder``. With ``products``, the per-document
    products (stated zones and belts, ``mentions.jsonl`` lines) are collected
    there.

    Returns
    -------
    MentionRows
        Every mention, in document order (by file name): a sequence over
        ``products.columns`` (``geocode.columns``) whose ``Mention`` objects are
        made only when it is read.
    """
    fingerprint = _fingerprint()
    cache_dir = Path(settings.cache_folder) / "extract" / fingerprint
    todo: list[tuple[Path, Path | None]] = []
    # path -> document record; its mentions are coded into columns as results come, so
    # the archive is never held twice (as decoded results and as columns)
    results: dict[Path, dict[str, Any]] = {}
    blocks: dict[Path, Path | None] = {}
    if products is None:
        products = ExtractionProducts()
    from geocode.columns import MentionColumns

    products.columns = columns = MentionColumns()
    registries: dict[Path, bytes] = {}  # folder -> its registries' bytes (read once)
    parts: dict[Path, dict[str, Any]] = {}  # path -> its mentions by column
    pool: ProcessPoolExecutor | None = None
    futures: list[Future[dict[str, Any]]] = []

    def _skip(path: Path, record: dict[str, Any]) -> None:
        results[path] = record

    def _take(path: Path, result: dict[str, Any]) -> None:
        parts[path] = _coded(result, columns, products.stated)
        results[path] = result["record"]

    def _keep(path: Path, cached: Path | None, result: dict[str, Any]) -> None:
        block = result.pop("jsonl", None)
        blocks[path] = None
        if cached is not None and not result["record"].get("skipped"):
            try:  # the lines first: a cache entry never names lines that were not written
                if block is not None:
                    blocks[path] = write_bytes_atomic(cached.with_suffix(".jsonl"), block)
                write_bytes_atomic(cached, _pack_result(result))
            except PlanmapError as exc:
                log.warning("cannot cache extraction of %s: %s", path.name, exc)
        _take(path, result)

    seen: dict[str, str] = {}
    try:
        for path in paths:
            size_mb = path.stat().st_size / 1e6 if path.exists() else 0.0
            if size_mb > settings.max_document_mb:
                _skip(path, {
                    "name": path.name, "skipped": True,
                    "reason": f"{path.name!r} is {size_mb:.0f} MB, more than the "
                    f"{settings.max_document_mb:.0f} MB a document may have "
                    "(settings.max_document_mb); split it into parts",
                })
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                _skip(path, {"name": path.name, "skipped": True,
                             "reason": f"cannot read {str(path)!r}: {exc.strerror}"})
                continue
            sha = hashlib.sha256(data).hexdigest()
            del data
            if sha in seen:
                log.warning("skipped %s: same content as %s", path.name, seen[sha])
                _skip(path, {"name": path.name, "skipped": True,
                             "reason": f"duplicate of {seen[sha]}", "sha256": sha})
                continue
            seen[sha] = path.name
            folder_registries = registries.get(path.parent)
            if folder_registries is None:
                folder_registries = registries[path.parent] = _registry_bytes(path)
            key = hashlib.sha256(sha.encode() + path.name.encode() + folder_registries).hexdigest()
            cached = cache_dir / f"{key}.json" if cache else None
            if cached is not None and cached.exists():
                try:
                    _take(path, _unpack_result(cached.read_bytes()))
                    block = cached.with_suffix(".jsonl")
                    blocks[path] = block if block.exists() else None
                    continue
                except (OSError, ValueError, KeyError, TypeError):
                    log.warning("ignoring a broken cache entry %s", cached)
            todo.append((path, cached))
            if jobs > 1:
                if pool is None:
                    # forked at the first document to extract: the workers extract while the
                    # cached ones are still being read here. They collect garbage as usual
                    # (the build turns it off here: _no_gc)
                    pool = ProcessPoolExecutor(max_workers=jobs, initializer=gc.enable)
                futures.append(pool.submit(_extract_one, path))
        report.cache_hits = len(paths) - len(todo) - sum(
            1 for record in results.values() if record.get("skipped")
        )
        log.info("%d documents to extract, %d from the cache", len(todo), report.cache_hits)
        show = len(todo) >= 20 and log.isEnabledFor(logging.INFO)
        extracted = (f.result() for f in futures) if pool is not None else (
            _extract_one(path) for path, _ in todo)
        for (path, cached), result in tqdm(
            zip(todo, extracted, strict=True), total=len(todo), desc="extract", unit="doc",
            disable=not show,
        ):
            _keep(path, cached, result)
    except BaseException:  # on an error or Ctrl-C the workers stop, what was not begun dropped
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown(wait=True)

    for path in paths:
        record = results.pop(path)
        if record.get("skipped"):
            if not str(record.get("reason", "")).startswith("duplicate"):
                log.error("skipped %s: %s", record["name"], record["reason"])
        report.documents.append(record)
        if not record.get("skipped"):
            products.blocks.append((record["name"], blocks.get(path)))
    columns.join([parts[p] for p in paths if p in parts])
    return columns.rows()




def _coded(
    result: dict[str, Any],
    columns: Any,
    stated: dict[tuple[str, int, int, str], tuple[str, list[str]]],
) -> dict[str, Any]:
    """A document's extraction result (``_result``) coded into ``columns``.

    Its stated zones and belts are added to ``stated``, keyed by the mentions'
    (doc, start, end, name). Returns the document's part of the columns
    (``MentionColumns.part``).

    Raises
    ------
    KeyError
        When the result names other fields than ``MENTION_FIELDS`` (a stale cache
        entry) or lacks a column.
    ValueError, TypeError
        When its columns do not hold one value per mention (a broken entry).
    """
    from geocode.model import MENTION_FIELDS

    if tuple(result["fields"]) != MENTION_FIELDS:
        raise KeyError(f"mention fields {result['fields']!r}, expected {MENTION_FIELDS!r}")
    raw = result["columns"]

    def value(name: str, i: int) -> Any:
        column = raw[name]
        return column["values"][column["codes"][i]] if isinstance(column, dict) else column[i]

    part = columns.part(raw, int(result["n"]), result["stated"])
    for i, zone, belts in result["stated"]:
        key = (value("doc", i), int(value("start", i)), int(value("end", i)), value("name", i))
        stated[key] = (zone, belts)
    return part


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


#: value classes ``_jsonl`` writes with orjson (floats print differently); the rest goes to ``json``.
_SCALARS = frozenset({str, int, bool, type(None)})


def _flat(records: Sequence[dict[str, Any]]) -> bool:
    """Whether every value of every record is a str, int, bool, None or a list of those."""
    values = list(chain.from_iterable(map(dict.values, records)))
    kinds = set(map(type, values))
    if kinds <= _SCALARS:
        return True
    if not kinds <= _SCALARS | {list}:
        return False
    items = chain.from_iterable(v for v in values if v.__class__ is list)
    return set(map(type, items)) <= _SCALARS


def _jsonl(records: Sequence[dict[str, Any]]) -> bytes:
    """JSON lines, byte for byte as ``json.dumps(record, ensure_ascii=False)`` would write them.

    With orjson installed, flat records (values str, int, bool, None or lists of
    those) are encoded by it with two-space indentation, and the indentation is
    then folded into the ``", "`` and ``": "`` separators of ``json``: a raw
    newline only ever stands between tokens (one inside a string is escaped),
    so the folding cannot touch text. Four to five times faster than ``json``.
    """
    if _orjson is not None and records and _flat(records):
        try:
            data = b"\n".join(_orjson.dumps(r, option=_orjson.OPT_INDENT_2) for r in records)
        except TypeError:  # lone surrogates, huge ints: json writes them
            data = b""
        if data:
            data = data.replace(b",\n", b", \n").replace(b"\n    ", b"").replace(b"\n  ", b"")
            return data.replace(b"\n}", b"}") + b"\n"
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return text.encode("utf-8")


def _records(mentions: Sequence[Any]) -> list[dict[str, Any]]:
    """``[m.to_record() for m in mentions]`` without the copies where it can.

    A dataclass sets every field in ``__init__``, in declaration order, so a
    mention with as many attributes as fields holds exactly its fields in
    ``to_record`` order; its attribute dict is only read, never changed.
    """
    from geocode.model import MENTION_FIELDS

    n = len(MENTION_FIELDS)
    out = []
    for m in mentions:
        attrs = vars(m)
        out.append(attrs if len(attrs) == n else m.to_record())
    return out


def _write_mentions(mentions: Sequence[Any], path: Path) -> Path:
    """One JSON line per mention (``json.dumps(..., ensure_ascii=False)``), streamed."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            for i in range(0, len(mentions), 10_000):
                fh.write(_jsonl(_records(mentions[i : i + 10_000])))
            fh.flush()
            os.fsync(fh.fileno())
    return path


def _sorted_mentions(entities: Sequence[Any]) -> list[Any]:
    """Every mention of ``entities`` in ``mentions.jsonl`` order (stable over the entities)."""
    return sorted(
        (m for e in entities for m in e.mentions), key=lambda m: (m.doc, m.start, m.end, m.name)
    )


def _write_mention_blocks(
    entities: Sequence[Any],
    extracted: Sequence[Any],
    blocks: Sequence[tuple[str, Path | None]],
    path: Path,
    columns: Any = None,
) -> Path:
    """Write ``mentions.jsonl`` from the documents' cached lines where they still hold.

    Byte for byte what ``_write_mentions(_sorted_mentions(entities), path)``
    writes. A document's cached block holds when its mentions in ``entities``
    are exactly the mention objects extracted from it (not re-made by an alias
    merge with another entity id, none dropped or added); the other
    documents' lines are encoded again. ``mentions.jsonl`` is sorted by
    document name first, so the file is the documents' blocks in name order.

    Parameters
    ----------
    entities : sequence of Entity
        The final entities.
    extracted : sequence of Mention
        The mentions as extracted (``extract_documents``).
    blocks : sequence of (str, Path or None)
        ``ExtractionProducts.blocks``; the document names are unique.
    path : Path
        ``mentions.jsonl``.
    columns : MentionColumns, optional
        ``extracted`` by column: which documents changed is then found without
        a pass over the mentions (``_changed_documents``).
    """
    block_of = dict(blocks)
    docs, dirty = _changed_documents(entities, extracted, columns)
    dirty |= {d for d in docs if block_of.get(d) is None}
    by_doc: dict[str, list[Any]] = {d: [] for d in dirty}
    if by_doc:
        for e in entities:
            for m in e.mentions:
                mentions = by_doc.get(m.doc)
                if mentions is not None:
                    mentions.append(m)
    log.debug("mentions.jsonl: %d documents from the cache, %d encoded",
              len(docs) - len(dirty), len(dirty))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            for doc in sorted(docs):
                if doc in by_doc:
                    ordered = sorted(by_doc.pop(doc), key=_order_in_doc)
                    for i in range(0, len(ordered), 10_000):
                        fh.write(_jsonl(_records(ordered[i : i + 10_000])))
                else:
                    with open(block_of[doc], "rb") as src:
                        fh.write(src.read())
            fh.flush()
            os.fsync(fh.fileno())
    return path


def _changed_documents(
    entities: Sequence[Any], extracted: Sequence[Any], columns: Any = None
) -> tuple[set[str], set[str]]:
    """The documents with mentions in ``entities``, and those changed since extracted.

    A document is changed when its mentions in ``entities`` are not exactly the
    objects extracted from it. With ``columns`` (``MentionColumns`` of ``extracted``, row for row), from
    integer arrays: a document is unchanged when every one of its rows
    belongs to an entity held whole (``MentionColumns.whole``). Otherwise by
    each mention's identity and each document's count.
    """
    n_final = sum(len(e.mentions) for e in entities)
    if columns is not None and columns.by_document and len(columns) == len(extracted) == n_final:
        import numpy as np

        row_entity, _ = columns.whole(entities)
        names = columns.coders["doc"].values
        codes = columns.codes["doc"]
        docs = {names[c] for c in np.unique(codes).tolist()}
        return docs, {names[c] for c in np.unique(codes[row_entity < 0]).tolist()}
    original = set(map(id, extracted))
    extracted_count = Counter(m.doc for m in extracted)
    final_count: Counter[str] = Counter()
    dirty: set[str] = set()
    for e in entities:
        for m in e.mentions:
            final_count[m.doc] += 1
            if id(m) not in original:
                dirty.add(m.doc)
    dirty |= {d for d in final_count if final_count[d] != extracted_count[d]}
    return set(final_count), dirty


def _delivery(entities: Sequence[Any], project_layers: Any, columns: Any = None) -> Any:
    """The promise/delivery table of every in-district entity, located or not.

    With ``columns`` (every mention read, by column), the plan periods are read
    from the rows that have one instead of from every mention: a period belongs
    to a sentence, so the rows of entities outside the district, or of entities
    an alias merge re-made, give the same (doc, line, sentence) keys and periods.
    """
    import numpy as np
    import pandas as pd

    from layers.build import timeline_from_entities
    from layers.delivery import delivery_from_timeline

    inside = [e for e in entities if e.in_changning]
    # the layer's timeline already holds the located entities' rows: add the unlocated ones
    placed = set(project_layers.projects["id"])
    unlocated = [e for e in inside if e.id not in placed]
    timeline = project_layers.timeline
    if unlocated and len(timeline):
        timeline = pd.concat([timeline, timeline_from_entities(unlocated)], ignore_index=True)
        timeline = timeline.sort_values("entity_id", kind="mergesort", ignore_index=True)
    elif unlocated:
        timeline = timeline_from_entities(unlocated)
    return delivery_from_timeline(
        timeline,
        project_layers.documents,
        projects=project_layers.projects,
        mentions=[m for e in inside for m in e.mentions] if columns is None else
        columns.mentions(np.flatnonzero(columns.values("period", slice(None)).astype(bool))),
    )


def _warm_reference() -> None:
    """Read the reference layers and build the zone and belt polygons (cached per process).

    Run in a thread while documents are read; a failure is left for the
    layers stage to raise with its own message.
    """
    try:
        from layers.reference import reference_layers
        from layers.zones import belts_metric, district_metric, zones_metric

        district_metric()
        zones_metric()
        belts_metric()
        reference_layers()
    except Exception as exc:  # noqa: BLE001 - raised again where the layers are built
        log.debug("reference warm-up failed: %s", exc)


def build(
    paths: Sequence[str | Path] | None = None,
    out: str | Path | None = None,
    *,
    stages: Sequence[str] = STAGES,
    offline: bool = False,
    online: str | None = None,
    gazetteer: str | Path | None = None,
    jobs: int = 1,
    cache: bool = True,
    keep_alive: list[Any] | None = None,
    briefing: _Awaiting | None = None,
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
    jobs : int
        Read and extract this many documents at once, in worker processes.
    cache : bool
        Reuse the extraction of unchanged documents and the briefing pictures
        of unchanged sheets (``settings.cache_folder``).
    keep_alive : list, optional
        The build appends its large intermediate objects (entities, mentions,
        layers) here instead of letting them be freed when it returns: the
        command line ends the process right after, and freeing a large
        archive's objects one by one takes longer than the operating system
        needs to drop the whole process.
    briefing : Awaiting, optional
        The briefing's process, already started by the caller with
        ``gis._briefing.start_briefing(stages, cache=cache)`` (the command line
        forks it before importing this module); ``None`` starts it here.

    Returns
    -------
    BuildReport
        Also written to ``build_report.json``.

    Raises
    ------
    PlanmapError
        When no document could be read, or an output cannot be written.
    """
    out = Path(out or settings.output_folder)
    report = BuildReport()
    files = collect_paths(paths or [settings.seeds_folder])
    log.info("found %d document files", len(files))
    if briefing is None:
        # forked now, before any thread starts: sets up the briefing while the documents are read
        briefing = start_briefing(stages, cache=cache)
    warm_up = None
    if jobs == 1 and any(s in stages for s in ("layers", "map", "slides")):
        # the district's zones, belts and base layers do not depend on the documents:
        # read and buffered (GEOS and GDAL release the GIL) while the documents are read.
        # Not with extraction workers: a process forked while this thread is importing a
        # module would wait forever for that module's import lock.
        warm_up = threading.Thread(target=_warm_reference, name="planmap-reference", daemon=True)
        warm_up.start()
    products = ExtractionProducts()
    with _no_gc() as release_gc:
        try:
            mentions = extract_documents(files, report, jobs=jobs, cache=cache, products=products)
        finally:
            if warm_up is not None:
                warm_up.join()
        return _build_from_mentions(
            mentions, files, report, out, products, stages=stages, offline=offline,
            online=online, gazetteer=gazetteer, cache=cache, keep_alive=keep_alive,
            release_gc=release_gc, briefing=briefing,
        )


@contextlib.contextmanager
def _no_gc() -> Iterator[Callable[[], None]]:
    """No garbage collection while the archive's mentions are read and grouped.

    The build makes a few objects per mention, and they live to its end; the
    garbage collector's full passes would walk all of them again and again as
    they are made (a third of the time of reading a large archive's cached
    extractions). Nothing made then holds a reference cycle that must be
    freed before the build ends. The context gives ``release``: it sets
    what exists aside for good (``gc.freeze``) and collects again as before,
    for what is made from then on. On exit, the collector is as it was.
    """
    enabled = gc.isenabled()

    def release() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    gc.disable()
    try:
        yield release
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _build_from_mentions(
    mentions: list[Any],
    files: list[Path],
    report: BuildReport,
    out: Path,
    products: ExtractionProducts,
    *,
    stages: Sequence[str],
    offline: bool,
    online: str | None,
    gazetteer: str | Path | None,
    cache: bool,
    keep_alive: list[Any] | None,
    release_gc: Callable[[], None],
    briefing: _Awaiting | None,
) -> BuildReport:
    """``build`` from the extracted mentions on: resolve, merge, then every output."""
    from geocode import load_gazetteer, resolve_entities

    read = [d for d in report.documents if not d.get("skipped")]
    if not read:
        raise PlanmapError(
            f"none of the {len(files)} document files could be read; see the messages above"
        )
    log.info("extracted %d mentions from %d documents", len(mentions), len(read))

    gazetteer_gdf = load_gazetteer(extra=gazetteer)
    online_geocoder = None
    if online:
        from geocode.online import make_online_geocoder

        online_geocoder = make_online_geocoder(online)
    # no silent district-wide dots: what nothing locates goes to unresolved.csv
    entities = resolve_entities(
        mentions, gazetteer=gazetteer_gdf, online=online_geocoder, district_fallback=False
    )
    from layers.delivery import merge_alias_entities

    entities, merges = merge_alias_entities(entities, gazetteer_gdf)
    if merges:
        log.info("merged %d entities into others by alias", len(merges))
    release_gc()  # the mentions and entities stay out of every collection from here on
    names = [name for name, _ in products.blocks]
    by_name = len(set(names)) == len(names)  # mentions know their document by name only
    # a large archive's mentions.jsonl is written by a forked process while this one goes on
    jsonl = _Background(
        _write_mentions_jsonl, entities, mentions, products.blocks if by_name else None,
        out / "mentions.jsonl", products.columns,
        fork=len(mentions) >= _BACKGROUND_MENTIONS, what="mentions.jsonl",
    )
    del mentions
    try:
        _build_rest(
            report, entities, merges, read, out, stages=stages, products=products,
            by_name=by_name, offline=offline, cache=cache, keep_alive=keep_alive,
            briefing=briefing,
        )
    finally:
        jsonl.result()
    if keep_alive is not None:
        keep_alive.append((entities, products, gazetteer_gdf))
    report.outputs.append("mentions.jsonl")
    report.outputs.append("build_report.json")
    write_text_atomic(out / "build_report.json", report.to_json())
    log.info("wrote %d outputs to %s", len(report.outputs), out)
    return report


#: from this many mentions on, ``mentions.jsonl`` is written in a forked process.
_BACKGROUND_MENTIONS = 20_000


def _write_mentions_jsonl(
    entities: Sequence[Any],
    extracted: Sequence[Any],
    blocks: Sequence[tuple[str, Path | None]] | None,
    path: Path,
    columns: Any = None,
) -> Path:
    """``mentions.jsonl``: from the documents' cached blocks when given, else encoded whole."""
    if blocks is not None:
        return _write_mention_blocks(entities, extracted, blocks, path, columns)
    return _write_mentions(_sorted_mentions(entities), path)


def _build_rest(
    report: BuildReport,
    entities: list[Any],
    merges: list[dict[str, Any]],
    read: list[dict[str, Any]],
    out: Path,
    *,
    stages: Sequence[str],
    products: ExtractionProducts,
    by_name: bool,
    offline: bool,
    cache: bool,
    keep_alive: list[Any] | None = None,
    briefing: _Awaiting | None = None,
) -> None:
    """``build`` from the resolved entities on: unresolved.csv, counts, layers, map, briefing."""
    import numpy as np

    from geocode import write_unresolved_csv

    n_mentions = sum(len(e.mentions) for e in entities)
    columns = products.columns
    if columns is not None and len(columns) == n_mentions:
        # every mention read is in one entity (merges move mentions, never drop them)
        counts = np.bincount(columns.codes["status"], minlength=len(columns.coders["status"].values))
        statuses = Counter({s: int(c) for s, c in zip(columns.coders["status"].values, counts,
                                                       strict=True) if c})
    else:
        statuses = Counter(m.status for e in entities for m in e.mentions)
    located = [e for e in entities if e.geometry is not None]
    log.info("resolved %d entities, %d located", len(entities), len(located))
    write_unresolved_csv(entities, out / "unresolved.csv")
    report.outputs.append("unresolved.csv")
    report.counts = {
        "documents_read": len(read),
        "documents_skipped": len(report.skipped),
        "mentions": n_mentions,
        "entities": len(entities),
        "entities_located": len(located),
        "entities_in_changning": sum(1 for e in entities if e.in_changning),
        "precision": dict(sorted(Counter(e.precision for e in entities).items())),
        "status": dict(sorted(statuses.items())),
        "alias_merges": merges,
    }

    if any(s in stages for s in ("layers", "map", "slides")):
        from layers import layers_from_entities
        from layers.export import PendingSave, start_save_timeline

        documents = [
            {key: d.get(key) for key in ("name", "title", "kind", "date")} for d in read
        ]
        saving: PendingSave | None = None

        def start_saving(timeline: Any, documents: list[dict[str, Any]]) -> None:
            # a large archive's GeoPackage and timeline.csv are begun in forked processes
            # as soon as the timeline is made; they take the rest of the layers, then
            # the delivery table, when each is known
            nonlocal saving
            if "layers" in stages:
                saving = start_save_timeline(
                    timeline, documents, out, background=len(timeline) >= _BACKGROUND_MENTIONS
                )

        try:
            project_layers = layers_from_entities(
                entities, documents=documents, stated=products.stated if by_name else None,
                columns=products.columns, on_timeline=start_saving,
            )
            if saving is not None:
                saving.take_layers(project_layers)
            project_layers.delivery = _delivery(entities, project_layers, products.columns)
            if keep_alive is not None:
                keep_alive.append(project_layers)
            if briefing is not None:
                # the pictures and deck take longest: drawn by the process forked at the start
                # while this one writes the layers and the map; it never reads the timeline
                briefing.send(dataclasses.replace(
                    project_layers, timeline=project_layers.timeline.iloc[:0]), out)
            from layers.delivery import delivery_summary

            report.counts["delivery"] = delivery_summary(project_layers.delivery)
        except BaseException:
            if saving is not None:
                saving.cancel()  # the previous outputs stay whole
            if briefing is not None:
                briefing.cancel()  # no layers come: the briefing's process ends
            raise
        try:
            if saving is not None:
                written = saving.finish()
                report.outputs.extend(str(Path(p).relative_to(out)) for p in written)
            if "map" in stages:
                from maps import map_from_layers, save_map

                web_map = map_from_layers(project_layers, offline=offline)
                save_map(web_map, out / "map.html", offline=offline)
                report.outputs.append("map.html")
        finally:
            if saving is not None:
                saving.cancel()  # stops the writers if the layers were not saved
            if briefing is not None:
                written = briefing.result()  # waits; raises what the briefing raised
        if briefing is not None:
            report.outputs.extend(str(Path(p).relative_to(out)) for p in written)

