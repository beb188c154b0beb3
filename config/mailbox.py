"""A local mailbox: the default email backend of a development install.

Each message is written as one .eml file under settings.MAILBOX_DIR; /mailbox/ lists and shows
them while DEBUG is on, so the demo's invitations, password resets and reminders can be read
without a mail server. Production sets EMAIL_URL to a real SMTP server.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage as ParsedMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone
from django.utils.crypto import get_random_string

NAME = re.compile(r"^[0-9]{8}T[0-9]{6}[.][0-9]{6}-[a-z0-9]{8}[.]eml$")


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        folder = Path(settings.MAILBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S.%f")
            path = (
                folder
                / f"{stamp}-{get_random_string(8, 'abcdefghijklmnopqrstuvwxyz0123456789')}.eml"
            )
            # Write then rename, so the mailbox page never reads half a message.
            partial = path.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes(linesep="\n"))
            partial.rename(path)
            sent += 1
        return sent


@dataclass
class StoredMessage:
    name: str
    subject: str
    to: str
    sent_at: datetime | None
    text: str
    html: str
    headers: list[tuple[str, str]]


def _read(path: Path) -> StoredMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, ParsedMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    try:
        sent_at = parsedate_to_datetime(parsed["Date"]) if parsed["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    return StoredMessage(
        name=path.name,
        subject=str(parsed["Subject"] or "(no subject)"),
        to=str(parsed["To"] or ""),
        sent_at=sent_at,
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
        headers=[(k, str(v)) for k, v in parsed.items()],
    )


def list_messages(limit: int = 200) -> list[StoredMessage]:
    folder = Path(settings.MAILBOX_DIR)
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.iterdir() if NAME.match(p.name)), reverse=True)
    return [_read(p) for p in names[:limit]]


def get_message(name: str) -> StoredMessage | None:
    if not NAME.match(name):
        return None
    path = Path(settings.MAILBOX_DIR) / name
    return _read(path) if path.is_file() else None
