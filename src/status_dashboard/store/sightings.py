"""How a batch of client sightings is folded into the register, the same way in every store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from status_dashboard.domain.ports import OVERFLOW_IDENTITY, ClientRecord, ClientSighting
from status_dashboard.domain.timestamps import as_utc

DEFAULT_MAX_CLIENTS = 10_000
"""Identities an environment's register holds unless configured (`max_clients_per_environment`)."""

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


def admit(batch: Iterable[ClientSighting], known: set[str], room: int) -> list[ClientSighting]:
    """One environment's combined `batch` as the register takes it: identities it `known`s and
    the overflow line as they are; new ones while there is `room`, most requested first; the
    rest counted together on the OVERFLOW_IDENTITY line, which is not conforming."""
    kept: list[ClientSighting] = []
    newcomers: list[ClientSighting] = []
    overflow: ClientSighting | None = None
    for sighting in batch:
        if sighting.user_agent == OVERFLOW_IDENTITY:
            overflow = _into_overflow(overflow, sighting)
        elif sighting.user_agent in known:
            kept.append(sighting)
        else:
            newcomers.append(sighting)
    newcomers.sort(key=lambda s: s.count, reverse=True)  # stable: first seen first among equals
    room = max(room, 0)
    kept.extend(newcomers[:room])
    for sighting in newcomers[room:]:
        overflow = _into_overflow(overflow, sighting)
    if overflow is not None:
        kept.append(overflow)
    return kept


def _into_overflow(overflow: ClientSighting | None, sighting: ClientSighting) -> ClientSighting:
    sighting = replace(sighting, user_agent=OVERFLOW_IDENTITY, conforming=False)
    return sighting if overflow is None else _fold(overflow, sighting)
