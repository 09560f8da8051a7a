"""Grouping mentions into entities (one per ``entity_id``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from operator import attrgetter

import numpy as np

from geocode.columns import MentionColumns, packed_key
from geocode.gazetteer import GazetteerName
from geocode.model import Entity, Mention

__all__ = ["entities_from_mentions"]

log = logging.getLogger(__name__)

_DOC_ORDER = attrgetter("doc", "start", "end")
_SURFACE = attrgetter("surface")


def entities_from_mentions(mentions: Iterable[Mention], *,
                           index: Mapping[str, GazetteerName] | None = None,
                           columns: MentionColumns | None = None) -> list[Entity]:
    """Group mentions by ``entity_id`` into unresolved ``Entity`` objects.

    Parameters
    ----------
    mentions : iterable of Mention
        Mentions from any number of documents.
    index : mapping, optional
        ``name_index`` of the gazetteer. When the entity's name is in it, the row's
        ``in_changning`` decides; otherwise the entity is in Changning unless every
        mention says it is not.
    columns : MentionColumns, optional
        The same mentions by column, row ``i`` for the ``i``-th mention: the
        mentions are then grouped and ordered by sorting integer arrays, which
        gives the same groups in the same order without reading each mention.

    Returns
    -------
    list of Entity
        Sorted by id; each with its mentions in document order and ``aliases`` = the
        other surfaces seen for it (sorted).
    """
    mentions = list(mentions)
    groups = _groups_from_columns(mentions, columns) if columns is not None else None
    if groups is None:
        groups = {}
        for m in mentions:
            groups.setdefault(m.entity_id, []).append(m)
        for ms in groups.values():
            ms.sort(key=_DOC_ORDER)  # C-level keys: a large archive has a mention per 250 bytes
    entities = []
    for eid, ms in groups.items():
        first = ms[0]
        surfaces = set(map(str.strip, map(_SURFACE, ms))) - {first.name, ""}
        row = index.get(first.name) if index is not None else None
        if row is not None and row.name == first.name:
            in_cn = row.in_changning
        else:
            in_cn = any(m.in_changning for m in ms)
        entities.append(Entity(id=eid, name=first.name, type=first.type, aliases=sorted(surfaces),
                               in_changning=in_cn, mentions=ms))
    entities.sort(key=lambda e: e.id)
    log.info("grouped %d mentions into %d entities", sum(len(e.mentions) for e in entities), len(entities))
    return entities


def _groups_from_columns(mentions: list[Mention], columns: MentionColumns
                         ) -> dict[str, list[Mention]] | None:
    """Mentions by entity id, each list in (doc, start, end, order read) order.

    ``None`` when the columns are not row for row the mentions (they are then
    grouped one by one).
    """
    if len(columns) != len(mentions) or not mentions:
        return None
    codes = columns.codes
    ids = columns.coders["entity_id"].values
    doc_rank = columns.coders["doc"].ranks()[codes["doc"]]
    keys = [codes["entity_id"], doc_rank, codes["start"], codes["end"]]
    packed = packed_key(keys)  # a stable sort: the order read decides ties
    order = np.argsort(packed, kind="stable") if packed is not None else np.lexsort(
        (np.arange(len(mentions)), *reversed(keys)))
    by_entity = codes["entity_id"][order]
    cuts = np.flatnonzero(by_entity[1:] != by_entity[:-1]) + 1
    groups: dict[str, list[Mention]] = {}
    for part in np.split(order, cuts):
        ms = list(map(mentions.__getitem__, part.tolist()))
        eid = ms[0].entity_id
        if ms[-1].entity_id != eid or ids[int(codes["entity_id"][part[0]])] != eid:
            return None  # not the mentions the columns were made from
        groups[eid] = ms
    return groups
