"""Grouping mentions into entities (one per ``entity_id``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from operator import attrgetter

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
        ms.sort(key=_DOC_ORDER)  # C-level keys: a large archive has a mention per 250 bytes
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
