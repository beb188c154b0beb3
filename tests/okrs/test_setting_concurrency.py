"""Two leads save the same key result at the same moment, on real PostgreSQL with two
connections: exactly one save wins, the other is refused with the winner's version, and
nothing is half written.

Thread A saves inside a transaction it holds open; thread B starts its save meanwhile, so it
reads version 1 (A has not committed), passes the early check and reaches the compare-and-set
UPDATE, which waits on A's row lock. When A commits, PostgreSQL re-evaluates B's
`WHERE version = 1` against the new row: no match, so B's save is refused. This exercises the
race the early check alone could not catch.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from okrs import services
from okrs.models import KeyResult
from tests.okrs.conftest import Setting

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_threads_saving_one_key_result_one_wins(setting: Setting) -> None:
    org = setting.org
    kr_pk = setting.key_result.pk
    a_saved = threading.Event()
    b_started = threading.Event()
    outcome: dict[str, object] = {}

    def lead_a() -> None:
        try:
            with transaction.atomic():
                kr = KeyResult.objects.get(pk=kr_pk)
                services.key_result_update(
                    key_result=kr, by=org.lead, version=1, target=Decimal("250")
                )
                a_saved.set()
                b_started.wait(5)
                time.sleep(0.3)  # B is now blocked on our row lock
            outcome["a"] = "saved"
        except Exception as exc:  # recorded for the assertion below
            outcome["a"] = exc
        finally:
            connection.close()

    def lead_b() -> None:
        a_saved.wait(5)
        b_started.set()
        try:
            kr = KeyResult.objects.get(pk=kr_pk)
            services.key_result_update(
                key_result=kr, by=org.function_lead, version=1, target=Decimal("200")
            )
            outcome["b"] = "saved"
        except services.StaleEdit as stale:
            outcome["b"] = stale
        except Exception as exc:
            outcome["b"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=lead_a), threading.Thread(target=lead_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert outcome["a"] == "saved"
    refused = outcome["b"]
    assert isinstance(refused, services.StaleEdit), refused
    assert refused.current.target == Decimal("250")
    assert refused.current.updated_by == org.lead
    kr = KeyResult.objects.get(pk=kr_pk)
    assert (kr.target, kr.version) == (Decimal("250"), 2)
