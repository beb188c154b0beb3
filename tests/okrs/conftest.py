"""Fixtures for the setting page: the next quarter, being set, with the clock before its start.

The `org` fixture's cycle (2026 Q4) is running, so its agreed objectives are locked. Setting
tests need a cycle still being drafted: `setting` adds "2027 Q1" (phase setting, starting
4 Jan 2027) and freezes the clock on 10 Dec 2026, inside its setting window.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from cycles.models import Cycle
from okrs.models import KeyResult, Objective
from tests.conftest import Org
from tests.cycles.factories import CycleFactory
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

BEFORE_START = datetime.datetime(2026, 12, 10, 10, 0, tzinfo=datetime.UTC)


@dataclass
class Setting:
    org: Org
    cycle: Cycle
    objective: Objective  # a draft of the team's, owned by the lead
    key_result: KeyResult  # its one key result, owned by the engineer

    def lock(self) -> None:
        """Agree the objective and start the quarter: it is locked from then on."""
        Objective.objects.filter(pk=self.objective.pk).update(status=Objective.Status.AGREED)
        self.objective.refresh_from_db()
        Cycle.objects.filter(pk=self.cycle.pk).update(phase=Cycle.Phase.RUNNING)
        self.cycle.refresh_from_db()
        self.objective.cycle = self.cycle


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(BEFORE_START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def setting(org: Org, clock) -> Setting:
    cycle = CycleFactory(
        name="2027 Q1",
        starts_on=datetime.date(2027, 1, 4),
        ends_on=datetime.date(2027, 3, 31),
        phase=Cycle.Phase.SETTING,
    )
    objective = ObjectiveFactory(
        unit=org.team, cycle=cycle, title="Checkout feels instant", owner=org.lead
    )
    key_result = KeyResultFactory(
        objective=objective,
        owner=org.engineer,
        statement="Reduce p95 checkout latency from 900 ms to 300 ms",
        unit="ms",
        baseline_value=900,
        target=300,
    )
    return Setting(org=org, cycle=cycle, objective=objective, key_result=key_result)
