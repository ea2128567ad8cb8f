"""The simulator's dashboards that change: from one call of a client to its next (new-item,
removed-item, reordered, flapping, not-modified), and with time (the timeline)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from status_dashboard.bootstrap import demo_catalog_path
from status_dashboard.service.simulator import texts
from status_dashboard.service.simulator.calls import CallLog
from status_dashboard.service.simulator.changing import GROWTH_CYCLE, NOT_MODIFIED_EVERY
from status_dashboard.service.simulator.platform import read_environments
from status_dashboard.service.simulator.simulator import Simulator
from status_dashboard.service.simulator.timeline import CYCLE_S, PHASE_S

from support.contract import contract_violations

ZONE = ZoneInfo("Europe/Brussels")
STARTED_AT = datetime(2026, 12, 1, 14, 30, 12, tzinfo=UTC)
START = 500.0
ENVIRONMENTS = read_environments(demo_catalog_path(), STARTED_AT)
CLIENT = "myProduct/62.310.4 Technical/3.19.0"
OTHER = "otherProduct/1.0 Technical/3.19.0"


def _simulator() -> Simulator:
    return Simulator(
        ENVIRONMENTS, seed=3, zone=ZONE, max_age=15, started_at=STARTED_AT, started=START
    )


def _calls(
    simulator: Simulator, scenario: str, count: int, client: str = CLIENT
) -> list[dict[str, Any]]:
    """The documents of `count` calls in a row, one second apart."""
    documents = []
    for n in range(count):
        rendered = simulator.dashboard(scenario, None, client, START + 10 + n)
        assert rendered is not None
        documents.append(orjson.loads(rendered.identity.body))
    return documents


def _ids(document: dict[str, Any]) -> set[str]:
    return {item["id"] for group in document["groups"] for item in group["items"]}


def _items(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for group in document["groups"] for item in group["items"]}


def test_new_item_shows_one_more_item_on_each_call_then_starts_over() -> None:
    documents = _calls(_simulator(), "new-item", GROWTH_CYCLE + 1)
    sizes = [len(_ids(d)) for d in documents]
    base = sizes[0]
    assert sizes == [base, base + 1, base + 2, base + 3, base + 4, base + 5, base]
    for before, after in itertools.pairwise(documents[:GROWTH_CYCLE]):
        assert _ids(before) < _ids(after)
        (new,) = _ids(after) - _ids(before)
        assert _items(after)[new]["status_code"] == 3
    assert all(contract_violations(d) == [] for d in documents)


def test_removed_item_lacks_one_more_item_on_each_call_then_starts_over() -> None:
    documents = _calls(_simulator(), "removed-item", GROWTH_CYCLE + 1)
    for before, after in itertools.pairwise(documents[:GROWTH_CYCLE]):
        assert _ids(after) < _ids(before)
        assert len(_ids(before) - _ids(after)) == 1
    assert _ids(documents[GROWTH_CYCLE]) == _ids(documents[0])
    assert all(contract_violations(d) == [] for d in documents)


def _arrangement(document: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(g["id"], [item["id"] for item in g["items"]]) for g in document["groups"]]


def test_reordered_lists_groups_and_items_in_a_new_order_on_every_call() -> None:
    documents = _calls(_simulator(), "reordered", 30)
    arrangements = [_arrangement(d) for d in documents]
    for before, after in itertools.pairwise(arrangements):
        assert before != after
        assert [g for g, _ in before] != [g for g, _ in after]
    for document in documents:
        assert contract_violations(document) == []
        for group in document["groups"]:
            assert [item["order"] for item in group["items"]] == list(
                range(1, len(group["items"]) + 1)
            )
    assert _ids(documents[0]) == _ids(documents[-1])


def test_flapping_switches_one_item_on_every_call_and_moves_its_stamp() -> None:
    documents = _calls(_simulator(), "flapping", 6)
    changed = [
        {
            id_
            for id_, item in _items(after).items()
            if item["status_code"] != _items(before)[id_]["status_code"]
        }
        for before, after in itertools.pairwise(documents)
    ]
    assert all(len(ids) == 1 for ids in changed)
    (flapper,) = changed[0]
    assert all(ids == {flapper} for ids in changed)
    codes = [_items(d)[flapper]["status_code"] for d in documents]
    assert codes == [2, 1, 2, 1, 2, 1]
    assert _items(documents[0])[flapper]["description"] == texts.FLAPPING
    stamps = [_items(d)[flapper]["last_updated"] for d in documents]
    assert len(set(stamps)) == len(stamps)


def test_not_modified_changes_its_body_only_every_few_calls() -> None:
    simulator = _simulator()
    etags = []
    for n in range(4 * NOT_MODIFIED_EVERY):
        rendered = simulator.dashboard("not-modified", None, CLIENT, START + 10 + n)
        assert rendered is not None
        etags.append(rendered.identity.etag)
    versions = [etags[i : i + NOT_MODIFIED_EVERY] for i in range(0, len(etags), NOT_MODIFIED_EVERY)]
    assert all(len(set(version)) == 1 for version in versions)
    firsts = [version[0] for version in versions]
    assert all(a != b for a, b in itertools.pairwise(firsts))


def test_every_client_has_its_own_count_in_each_scenario() -> None:
    simulator = _simulator()
    mine = _calls(simulator, "new-item", 3)
    theirs = _calls(simulator, "new-item", 1, client=OTHER)
    assert _ids(theirs[0]) == _ids(mine[0])
    after_another_scenario = _calls(simulator, "removed-item", 1)
    assert _ids(after_another_scenario[0]) == _ids(mine[0])
    assert len(_ids(_calls(simulator, "new-item", 1)[0])) == len(_ids(mine[0])) + 3


def test_the_call_log_stays_within_its_limit_however_many_clients_come() -> None:
    log = CallLog(limit=100)
    for n in range(10_000):
        log.call(f"client{n}/1.0 x/1", "new-item")
    assert len(log) == 100
    assert log.call("client9999/1.0 x/1", "new-item").number == 2
    assert log.call("client0/1.0 x/1", "new-item").number == 1


def test_a_simulator_with_a_small_call_log_forgets_the_oldest_clients() -> None:
    simulator = Simulator(
        ENVIRONMENTS,
        seed=3,
        zone=ZONE,
        max_age=15,
        started_at=STARTED_AT,
        started=START,
        calls=CallLog(limit=2),
    )
    first = _calls(simulator, "new-item", 2)
    for other in ("a/1 b/1", "c/1 d/1"):
        _calls(simulator, "new-item", 1, client=other)
    assert _ids(_calls(simulator, "new-item", 1)[0]) == _ids(first[0])


def _timeline(simulator: Simulator, elapsed: float, environment: str = "prod") -> Any:
    rendered = simulator.dashboard("timeline", environment, CLIENT, START + elapsed)
    assert rendered is not None
    return orjson.loads(rendered.identity.body)


IDP = "715d31b5a498a4587fedc57dada6a9df"


def test_the_timeline_starts_calm_then_disrupts_the_idp_with_the_cookbooks_description() -> None:
    simulator = _simulator()
    calm = _timeline(simulator, 1)
    assert {item["status_code"] for item in _items(calm).values()} == {1}
    disrupted = _items(_timeline(simulator, PHASE_S + 1))[IDP]
    assert disrupted["status_code"] == 2
    assert disrupted["description"] == texts.IDP_DISRUPTION
    moment = datetime.fromisoformat(disrupted["last_updated"])
    assert moment == (STARTED_AT + timedelta(seconds=PHASE_S)).replace(microsecond=0)


def test_the_timeline_takes_an_ehealthbox_item_to_unknown_and_recovers_everything() -> None:
    simulator = _simulator()
    seen = [_timeline(simulator, PHASE_S * phase + 1) for phase in range(8)]
    unknown = [item["name"] for item in _items(seen[2]).values() if item["status_code"] == 3]
    assert len(unknown) == 1
    assert "eHealthBox" in unknown[0]
    recovered = _items(seen[3])[IDP]
    assert recovered["status_code"] == 1
    assert recovered["description"] == texts.IDP_RECOVERED
    mycarenet = [item for item in _items(seen[5]).values() if item["status_code"] == 2]
    assert len(mycarenet) == 1
    assert "MyCareNet" in mycarenet[0]["name"]
    assert {item["status_code"] for item in _items(seen[4]).values()} == {1}
    assert len({orjson.dumps(d) for d in seen}) == len(seen)
    assert all(contract_violations(d) == [] for d in seen)


def test_the_timeline_repeats_and_its_stamps_never_go_back() -> None:
    simulator = _simulator()
    first = _timeline(simulator, PHASE_S * 2 + 1)
    again = _timeline(simulator, CYCLE_S + PHASE_S * 2 + 1)
    codes = {id_: item["status_code"] for id_, item in _items(first).items()}
    assert codes == {id_: item["status_code"] for id_, item in _items(again).items()}

    def stamp(item: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(item["last_updated"])

    for id_, item in _items(again).items():
        assert stamp(item) >= stamp(_items(first)[id_])
    assert stamp(_items(again)[IDP]) > stamp(_items(first)[IDP])


@pytest.mark.parametrize("environment", ["prod", "acc", "int"])
def test_the_timeline_plays_in_every_environment(environment: str) -> None:
    document = _timeline(_simulator(), PHASE_S + 1, environment)
    assert [item["status_code"] for item in _items(document).values()].count(2) == 1
