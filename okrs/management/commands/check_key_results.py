"""Audit imported key results with the coaching check: one key result per line in, one JSON
object per line out.

    manage.py check_key_results FILE        # or - to read standard input

A line is either plain text or a JSON object with "text" and, optionally, "baseline",
"target", "unit" and "direction" (increase, decrease, stay_above, stay_below). Blank lines are
skipped. Each key result becomes

    {"text": ..., "kind": "output" | "outcome", "findings": [{"code": ..., "message": ...}]}

and a line that cannot be read (malformed JSON, no text, a baseline that is not a number)
becomes {"line": N, "error": ...} so that one bad row does not stop an audit of a thousand. A
count goes to standard error at the end; standard output stays pure JSON Lines for `jq`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from okrs.quality import DIRECTIONS, check_key_result


class LineError(ValueError):
    """A line that cannot be checked; the message says why, in the reader's terms."""


def _number(value: Any, field: str) -> Decimal | None:
    """A structured baseline or target: a JSON number or a numeric string ("42", "99.5%")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise LineError(f'"{field}" must be a number, not {json.dumps(value)}')
    try:
        number = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise LineError(f'"{field}" must be a number, not {json.dumps(value)}') from None
    if not number.is_finite():
        raise LineError(f'"{field}" must be a finite number')
    return number


def check_line(line: str) -> dict[str, Any]:
    """The output object for one non-blank input line. Raises LineError for a line that cannot
    be checked."""
    if not line.startswith("{"):
        return check_key_result(line).as_dict()
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):  # pragma: no cover - a line starting "{" parses to a dict
        raise LineError("a JSON line must be an object")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LineError('a JSON line needs a non-empty "text" string')
    direction = data.get("direction") or None
    if direction is not None and direction not in DIRECTIONS:
        raise LineError(f'"direction" must be one of {", ".join(DIRECTIONS)}')
    unit = data.get("unit") or ""
    if not isinstance(unit, str):
        raise LineError('"unit" must be a string')
    report = check_key_result(
        text,
        baseline=_number(data.get("baseline"), "baseline"),
        target=_number(data.get("target"), "target"),
        unit=unit,
        direction=direction,
        metric_name=data.get("metric") if isinstance(data.get("metric"), str) else "",
    )
    return report.as_dict()


class Command(BaseCommand):
    help = (
        "Check key results for outputs, missing baselines, targets and metrics, and targets "
        "that do not move past the baseline. Reads one key result per line (plain text or a "
        'JSON object with "text" and optional "baseline", "target", "unit", "direction") and '
        "writes one JSON object per line."
    )
    # Lets tests and callers hand in a stream for "-" without touching sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a file with one key result per line, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["file"]
        if path == "-":
            self._audit(options.get("stdin") or sys.stdin)
            return
        try:
            with open(path, encoding="utf-8-sig") as stream:
                self._audit(stream)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc.reason})") from None

    def _audit(self, lines: Iterable[str] | TextIO) -> None:
        checked = outputs = errors = 0
        for number, raw in enumerate(lines, start=1):
            line = raw.strip().lstrip("\ufeff")
            if not line:
                continue
            try:
                result = check_line(line)
            except LineError as exc:
                errors += 1
                result = {"line": number, "error": str(exc)}
            else:
                checked += 1
                outputs += result["kind"] == "output"
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        summary = (
            f"Checked {checked} key result{'s' if checked != 1 else ''}: {outputs} "
            f"{'looks like an output' if outputs == 1 else 'look like outputs'}."
        )
        if errors:
            summary += f" {errors} line{'s' if errors != 1 else ''} could not be read."
        self.stderr.write(summary)
