"""The tree's remembered reads: whatever changes what the tree reads changes the data version
(by a database trigger, so no write path can forget), and a page read after a change shows
the change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse

from cycles import services as cycle_services
from okrs import tree, tree_memo
from okrs.models import AlignmentLink, KeyResult, Objective, ObjectiveComment, TreeVersion
from tests.conftest import Org
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def _link(org: Org) -> AlignmentLink:
    return AlignmentLink.objects.create(
        child=org.objective, parent=org.function_objective, how="It moves it."
    )


WRITES = {
    "objective created": lambda org: ObjectiveFactory(unit=org.team, cycle=org.cycle),
    "objective retitled by save()": lambda org: (
        setattr(org.objective, "title", "Checkout never drops a sale"),
        org.objective.save(),
    ),
    "objectives reordered by update()": lambda org: Objective.objects.filter(unit=org.team).update(
        order=7
    ),
    "objective deleted": lambda org: ObjectiveFactory(unit=org.team, cycle=org.cycle).delete(),
    "key results bulk-created": lambda org: KeyResult.objects.bulk_create(
        [KeyResultFactory.build(objective=org.objective, order=9)]
    ),
    "key result blocker by update()": lambda org: KeyResult.objects.filter(
        pk=org.key_result.pk
    ).update(blocker="Waiting on legal"),
    "link created": _link,
    "link deleted": lambda org: _link(org).delete(),
    "unit renamed": lambda org: (setattr(org.team, "name", "Payments Core"), org.team.save()),
    "key result changed by raw SQL": lambda org: connection.cursor().execute(
        "UPDATE okrs_keyresult SET confidence = 10 WHERE id = %s", [org.key_result.pk]
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_to_what_the_tree_reads_changes_the_version(org: Org, write: str) -> None:
    before = tree_memo.data_version()
    assert before is not None
    WRITES[write](org)
    assert tree_memo.data_version() != before


def test_writes_the_tree_does_not_read_keep_the_version(org: Org) -> None:
    before = tree_memo.data_version()
    ObjectiveComment.objects.create(objective=org.objective, author=org.lead, body="Agreed.")
    org.engineer.name = "Eve Engineer"
    org.engineer.save()
    assert tree_memo.data_version() == before


def test_a_rolled_back_write_takes_its_version_with_it(org: Org) -> None:
    before = tree_memo.data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        ObjectiveFactory(unit=org.team, cycle=org.cycle)
        assert tree_memo.data_version() != before
        raise RuntimeError("changed my mind")
    assert tree_memo.data_version() == before


def test_remembered_rows_serve_the_same_page_until_a_check_in_changes_it(
    client, org: Org, django_assert_num_queries
) -> None:
    AlignmentLink.objects.create(
        child=org.function_objective, parent=org.company_objective, how="It moves it."
    )
    KeyResult.objects.filter(pk=org.key_result.pk).update(blocker="Waiting for the bank")
    _link(org)
    client.force_login(org.leader)
    url = reverse("okrs:tree")
    assert "Waiting for the bank" in client.get(url).content.decode()
    with django_assert_num_queries(4):  # session, user, cycle with the version, banner hint
        assert "Waiting for the bank" in client.get(url).content.decode()

    cycle_services.check_in_create(
        key_result=org.key_result, by=org.engineer, confidence=80, value=Decimal("5")
    )

    page = client.get(url).content.decode()
    assert "Waiting for the bank" not in page
    assert "What blocks it" not in page


def test_an_expansion_shows_a_renamed_unit_at_once(client, org: Org) -> None:
    _link(org)
    client.force_login(org.leader)
    url = reverse("okrs:tree-children", args=[org.function_objective.pk])
    headers = {"HX-Request": "true"}
    assert org.team.name in client.get(url, headers=headers).content.decode()
    client.get(url, headers=headers)  # remembered now
    org.team.name = "Card Acceptance"
    org.team.save()
    assert "Card Acceptance" in client.get(url, headers=headers).content.decode()


def test_without_a_version_row_nothing_is_remembered_and_pages_still_work(client, org: Org) -> None:
    TreeVersion.objects.all().delete()
    assert tree_memo.data_version() is None
    _link(org)
    client.force_login(org.leader)
    url = reverse("okrs:tree-children", args=[org.function_objective.pk])
    headers = {"HX-Request": "true"}
    assert org.objective.title in client.get(url, headers=headers).content.decode()
    Objective.objects.filter(pk=org.objective.pk).update(title="Renamed while unversioned")
    assert "Renamed while unversioned" in client.get(url, headers=headers).content.decode()


def _drop_triggers(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER okrs_tree_changed ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER okrs_tree_changed_{table}_{event}")


def test_install_puts_back_triggers_a_table_rebuild_dropped(org: Org) -> None:
    """On SQLite, Django rebuilds a table to alter it, which drops its triggers; every
    migrate and flush runs `install` again."""
    _drop_triggers("okrs_keyresult")
    before = tree_memo.data_version()
    KeyResult.objects.filter(pk=org.key_result.pk).update(confidence=5)
    assert tree_memo.data_version() == before  # unguarded: the reason install runs again
    tree_memo.install(using="default")
    tree_memo.install(using="default")  # twice is harmless
    KeyResult.objects.filter(pk=org.key_result.pk).update(confidence=6)
    assert tree_memo.data_version() != before
    assert TreeVersion.objects.count() == 1


def test_install_creates_the_row_when_it_is_missing(db) -> None:
    TreeVersion.objects.all().delete()
    tree_memo.install(using="default")
    assert tree_memo.data_version() is not None


def test_what_one_request_fills_in_does_not_leak_into_the_next(client, org: Org) -> None:
    """Requests share the remembered whole-cycle Forest; each fills in its own copies."""
    AlignmentLink.objects.create(
        child=org.function_objective, parent=org.company_objective, how="It moves it."
    )
    _link(org)
    KeyResultFactory(objective=org.function_objective, statement="Launch the new checkout")
    client.force_login(org.leader)
    url = reverse("okrs:tree")
    first = client.get(url).content
    for query in ("?flag=output", "?q=checkout", "?view=org", "?flag=stale"):
        assert client.get(url + query).status_code == 200
    client.get(reverse("okrs:tree-unaligned"), headers={"HX-Request": "true"})
    again = client.get(url).content
    assert _without_csrf(again) == _without_csrf(first)


def _without_csrf(content: bytes) -> bytes:
    import re

    return re.sub(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', rb"\1", content)


def test_a_request_s_changes_stay_in_its_own_forest(org: Org, django_assert_num_queries) -> None:
    today = org.cycle.starts_on
    with tree_memo.remembering(tree_memo.data_version()):
        first = tree.load_cycle(org.cycle, today)
        first.own(org.objective.pk).progress = 0.5  # type: ignore[union-attr]
        with django_assert_num_queries(0):
            second = tree.load_cycle(org.cycle, today)
    assert first.objectives[org.objective.pk].progress == 0.5
    assert second.objectives[org.objective.pk].progress is None
    assert second.children is first.children  # what was read is shared, not copied


def test_pruning_empties_the_change_log_and_keeps_the_version(org: Org) -> None:
    from okrs.models import TreeChange

    _link(org)
    before = tree_memo.data_version()
    assert TreeChange.objects.exists()
    assert tree_memo.prune() > 0
    assert not TreeChange.objects.exists()
    assert tree_memo.data_version() == before  # remembered rows stay good
    assert tree_memo.prune() == 0  # a second run finds nothing
    ObjectiveFactory(unit=org.team, cycle=org.cycle)
    assert tree_memo.data_version() == before + 1


def test_unapplying_the_migration_leaves_no_trigger_behind(org: Org) -> None:
    """migrate okrs 0003 drops the log and version tables; a trigger left writing to them
    would fail every write to objectives, key results, links and units."""
    tree_memo.uninstall(using="default")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE okrs_treechange")
    org.team.name = "Still writable"
    org.team.save()
    KeyResult.objects.filter(pk=org.key_result.pk).update(confidence=3)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_writers_never_wait_for_each_other_on_the_version(org: Org) -> None:
    """Two transactions writing to different rows of the four tables both go through at
    once: the version costs writers no lock (a shared counter row would make the second
    wait for the first's commit, and deadlock writers that lock rows in opposite orders)."""
    import psycopg

    settings = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        host=settings["HOST"] or None,
        port=str(settings["PORT"] or "") or None,
    )
    before = tree_memo.data_version()
    with psycopg.connect(conninfo) as first, psycopg.connect(conninfo) as second:
        second.execute("SET lock_timeout = '2s'")
        first.execute(
            "UPDATE okrs_keyresult SET confidence = 10 WHERE id = %s", [org.key_result.pk]
        )
        # The first has not committed; the second must not wait for it.
        second.execute(
            "UPDATE okrs_objective SET title = 'Moved on' WHERE id = %s", [org.objective.pk]
        )
        second.execute("UPDATE accounts_orgunit SET name = 'Renamed' WHERE id = %s", [org.team.pk])
        second.commit()
        assert tree_memo.data_version() == before + 2
        first.commit()
    assert tree_memo.data_version() == before + 3


def test_nothing_read_inside_a_transaction_is_remembered(
    org: Org, django_assert_num_queries
) -> None:
    """What a transaction reads may never be committed, and a rolled-back transaction hands
    its version number to the next writer: inside one, every read goes to the database."""
    today = org.cycle.starts_on
    with tree_memo.remembering(tree_memo.data_version()):
        with transaction.atomic():
            tree.load_cycle(org.cycle, today)
            with django_assert_num_queries(3):
                tree.load_cycle(org.cycle, today)
        tree.load_cycle(org.cycle, today)
        with django_assert_num_queries(0):
            tree.load_cycle(org.cycle, today)


def test_remembered_fragments_and_reads_are_kept_per_query_and_per_day(client, org: Org) -> None:
    """The same node opened with another page offset, filter or search, or on the next day
    (when a due date has passed), is a different answer, not the remembered one."""
    import datetime

    import time_machine

    for i in range(25):
        AlignmentLink.objects.create(
            child=ObjectiveFactory(unit=org.other_team, cycle=org.cycle, title=f"Spoke {i:02}"),
            parent=org.function_objective,
            how="It moves it.",
        )
    due = datetime.date(2026, 11, 20)
    KeyResult.objects.filter(pk=org.key_result.pk).update(check_in_due_on=due)
    _link(org)
    client.force_login(org.leader)
    url = reverse("okrs:tree-children", args=[org.function_objective.pk])
    headers = {"HX-Request": "true"}

    def get(query: str = "") -> str:
        return client.get(url + query, headers=headers).content.decode()

    first_page = get()
    assert get() == first_page  # remembered
    assert get("?offset=20&only=children") != first_page
    assert "Spoke 24" in get("?offset=20&only=children") and "Spoke 24" not in first_page
    assert "Spoke 03" not in get("?flag=stale")  # no stale check-in among the spokes
    assert "Spoke 07" in get("?q=Spoke+07") and "Spoke 08" not in get("?q=Spoke+07")

    def glance_on(day: datetime.date) -> str:
        moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        with time_machine.travel(moment, tick=False):
            client.force_login(org.leader)
            client.get(reverse("okrs:tree"))  # remembered for that day
            return client.get(reverse("okrs:tree")).content.decode()

    assert "0 stale check-ins" in glance_on(due)  # due today: not stale yet
    assert "1 stale check-in," in glance_on(due + datetime.timedelta(days=1))
