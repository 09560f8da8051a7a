"""Grouping mentions into entities (one per ``entity_id``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from geocode.gazetteer import GazetteerName
from geocode.model import Entity, Mention

__all__ = ["entities_from_mentions"]

log = logging.getLogger(__name__)


def entities_from_mentions(mentions: Iterable[Mention], *,
                           index: Mapping[str, GazetteerName] | None = None) -> list[Entity]:
    """Group mentions by ``entity_id`` into unresolved ``Entity`` objects.

    Parameters
    ----------
    mentions : iterable of Mention
        Mentions from any number of documents.
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
    groups: dict[str, list[Mention]] = {}
    for m in mentions:
        groups.setdefault(m.entity_id, []).append(m)
    entities = []
    for eid, ms in groups.items():
        ms.sort(key=lambda m: (m.doc, m.start, m.end))
        first = ms[0]
        surfaces = {m.surface.strip() for m in ms} - {first.name, ""}
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
