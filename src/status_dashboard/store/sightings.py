"""How a batch of client sightings is folded into the register, the same way in every store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from status_dashboard.domain.ports import ClientRecord, ClientSighting
from status_dashboard.domain.timestamps import as_utc

USER_AGENT_LENGTH = 512
"""Longest User-Agent the register keeps: longer ones are cut, so one odd client cannot fail a flush."""


def combine(sightings: Iterable[ClientSighting]) -> list[ClientSighting]:
    """One sighting per (environment, User-Agent), in first-seen order of the batch.

    A batch may name a client twice (e.g. after cutting long User-Agents); an upsert must touch
    each row once, so duplicates are folded here, the later sighting deciding `conforming`.
    """
    folded: dict[tuple[str, str], ClientSighting] = {}
    for sighting in sightings:
        sighting = replace(
            sighting,
            user_agent=sighting.user_agent[:USER_AGENT_LENGTH],
            first_seen=as_utc(sighting.first_seen),
            last_seen=as_utc(sighting.last_seen),
        )
        key = (sighting.environment_key, sighting.user_agent)
        earlier = folded.get(key)
        folded[key] = sighting if earlier is None else _fold(earlier, sighting)
    return list(folded.values())


def add(record: ClientRecord | None, sighting: ClientSighting) -> ClientRecord:
    """The register line after `sighting`: counts add, the seen range widens, `conforming` is the latest."""
    if record is None:
        return ClientRecord(
            environment_key=sighting.environment_key,
            user_agent=sighting.user_agent,
            conforming=sighting.conforming,
            request_count=sighting.count,
            first_seen=sighting.first_seen,
            last_seen=sighting.last_seen,
        )
    return replace(
        record,
        conforming=sighting.conforming,
        request_count=record.request_count + sighting.count,
        first_seen=min(record.first_seen, sighting.first_seen),
        last_seen=max(record.last_seen, sighting.last_seen),
    )


def _fold(earlier: ClientSighting, later: ClientSighting) -> ClientSighting:
    return replace(
        later,
        count=earlier.count + later.count,
        first_seen=min(earlier.first_seen, later.first_seen),
        last_seen=max(earlier.last_seen, later.last_seen),
    )
