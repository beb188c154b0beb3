import datetime

import factory

from cycles.models import Cycle


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    name = factory.Sequence(lambda n: f"20{30 + n} Q1")
    starts_on = datetime.date(2026, 10, 1)
    ends_on = datetime.date(2026, 12, 31)
    setting_opens_on = factory.LazyAttribute(lambda c: c.starts_on - datetime.timedelta(weeks=3))
    scoring_opens_on = factory.LazyAttribute(lambda c: c.ends_on - datetime.timedelta(days=6))
    phase = Cycle.Phase.RUNNING
