from decimal import Decimal

import factory

from okrs.models import AlignmentLink, KeyResult, Metric, Objective


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "%"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    title = factory.Sequence(lambda n: f"Objective {n}")
    kind = Objective.Kind.ASPIRATIONAL
    order = factory.Sequence(int)


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    statement = factory.Sequence(lambda n: f"Reduce error rate {n} from 2% to 1%")
    unit = "%"
    direction = KeyResult.Direction.DECREASE
    baseline_value = Decimal("2")
    target = Decimal("1")
    order = factory.Sequence(int)


class AlignmentLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlignmentLink

    how = "It moves the parent's main metric."
