"""Grouping mentions into entities (one per ``entity_id``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from operator import attrgetter

import numpy as np

from geocode.columns import MentionColumns, MentionRows, packed_key
from geocode.gazetteer import GazetteerName
from geocode.model import Entity, Mention

__all__ = ["entities_from_mentions"]

log = logging.getLogger(__name__)

_DOC_ORDER = attrgetter("doc", "start", "end")
_SURFACE = attrgetter("surface")


def entities_from_mentions(mentions: Iterable[Mention], *,
                           index: Mapping[str, GazetteerName] | None = None) -> list[Entity]:
    """Group mentions by ``entity_id`` into unresolved ``Entity`` objects.

    Parameters
    ----------
    mentions : iterable of Mention
        Mentions from any number of documents. Every row of a ``MentionColumns``
        (``MentionColumns.rows()``, as ``gis.pipeline.extract_documents`` gives
        them) is grouped and ordered by sorting integer arrays, and each entity
        gets its rows as ``MentionRows``, whose ``Mention`` objects are made
        only when read: the same groups, order and values.
    index : mapping, optional
        ``name_index`` of the gazetteer. When the entity's name is in it, the row's
        ``in_changning`` decides; otherwise the entity is in Changning unless every
        mention says it is not.

    Returns
    -------
    list of Entity
        Sorted by id; each with its mentions in document order and ``aliases`` = the
        other surfaces seen for it (sorted).
    """
    if isinstance(mentions, MentionRows) and len(mentions) == len(mentions.columns):
        groups = _groups_from_columns(mentions.columns)
    else:
        groups = {}
        for m in mentions:
            groups.setdefault(m.entity_id, []).append(m)
        for ms in groups.values():
            ms.sort(key=_DOC_ORDER)  # C-level keys: a large archive has a mention per 250 bytes
    entities = []
    for eid, ms in groups.items():
        if isinstance(ms, MentionRows):
            name, type_, surfaces, any_inside = _group_facts(ms)
        else:
            name, type_ = ms[0].name, ms[0].type
            surfaces = set(map(str.strip, map(_SURFACE, ms)))
            any_inside = any(m.in_changning for m in ms)
        surfaces -= {name, ""}
        row = index.get(name) if index is not None else None
        in_cn = row.in_changning if row is not None and row.name == name else any_inside
        entities.append(Entity(id=eid, name=name, type=type_, aliases=sorted(surfaces),
                               in_changning=in_cn, mentions=ms))
    entities.sort(key=lambda e: e.id)
    log.info("grouped %d mentions into %d entities", sum(len(e.mentions) for e in entities), len(entities))
    return entities


def _groups_from_columns(columns: MentionColumns) -> dict[str, MentionRows]:
    """Every row by entity id, each group in (doc, start, end, order read) order."""
    codes = columns.codes
    ids = columns.coders["entity_id"].values
    doc_rank = columns.coders["doc"].ranks()[codes["doc"]]
    keys = [codes["entity_id"], doc_rank, codes["start"], codes["end"]]
    packed = packed_key(keys)  # a stable sort: the order read decides ties
    order = np.argsort(packed, kind="stable") if packed is not None else np.lexsort(
        (np.arange(len(columns)), *reversed(keys)))
    by_entity = codes["entity_id"][order]
    cuts = np.flatnonzero(by_entity[1:] != by_entity[:-1]) + 1
    return {ids[int(codes["entity_id"][part[0]])]: MentionRows(columns, part)
            for part in np.split(order, cuts) if len(part)}


def _group_facts(rows: MentionRows) -> tuple[str, str, set[str], bool]:
    """Name and type of the first row, the stripped surfaces, whether any row is inside."""
    columns, index = rows.columns, rows.indices
    first = index[:1]
    name = columns.values("name", first)[0]
    type_ = columns.values("type", first)[0]
    surfaces = set(map(str.strip, columns.values("surface", index).tolist()))
    return name, type_, surfaces, bool(columns.codes["in_changning"][index].any())
