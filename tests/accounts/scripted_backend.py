"""An email backend for unit tests of the outbox's state machine: it fails the way it is
told to (an SMTP 451, a 550, a dropped connection), then delivers to mail.outbox.

The integration suite (tests/integration) proves the same behaviour against a real SMTP
server; this one keeps the state machine's unit tests fast and exact."""

from __future__ import annotations

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

FAILURES: list[Exception] = []


class ScriptedBackend(EmailBackend):
    def send_messages(self, messages):
        if FAILURES:
            raise FAILURES.pop(0)
        return super().send_messages(messages)


__all__ = ["FAILURES", "ScriptedBackend", "mail"]
