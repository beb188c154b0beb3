"""Import and export of one cycle's OKRs as JSON, in the format of docs/import-format.md.

An import runs in three stages, so that bad input writes nothing:

1. `parse()` turns decoded JSON into plain dataclasses. It checks types, choices, numbers and
   dates without touching the database, and collects every problem with its path
   (`objectives[3].key_results[1].target: "abc" is not a number`) rather than stopping at the
   first: someone fixing a spreadsheet export wants the whole list at once.
2. `_Resolver` reads the database and resolves every reference: units by name or path, people
   by email, the cycle by name, objectives to the rows they update, alignment targets by ref or
   title. It checks alignment loops against the file's links and the links already stored.
3. `_Applier` writes, inside the same `transaction.atomic()` as stage 2. Anything that still
   fails there raises and rolls the whole import back.

Identity decides what a second import of the same file finds already there (so it changes
nothing): units by name (any case) under their parent, people by email, the cycle by name,
objectives by unit + cycle + exact title (the n-th objective with a title in a unit matches the
n-th stored one), key results by objective + statement (likewise by occurrence), alignment
links by child + parent, dependencies by objective + provider unit + description. A field
absent from the file keeps the stored value; `null` clears it. Imports never delete.

Writes bypass the per-entity services' `by=` permission checks (the operator running a
management command has full authority, as okrs.services says) but reuse their helpers
(`user_create`, `membership_set`, `metric_get_or_create`, `metric_record_measurement`,
`alignment_creates_cycle`). Objectives and key results are saved here rather than through
`objective_create`/`key_result_create` because an import sets their order from the file and
updates existing rows in place; those services only append new ones.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.text import slugify

from accounts.models import Membership, OrgUnit, User, normalize_email, validate_time_zone
from accounts.services import membership_set, user_create
from okrs.models import VALUE, AlignmentLink, Dependency, KeyResult, Metric, Objective
from okrs.services import (
    alignment_creates_cycle,
    metric_get_or_create,
    metric_record_measurement,
)

Cycle: Any = Objective._meta.get_field("cycle").related_model  # okrs imports no cycles code

FORMAT = "quarterdeck-okrs"
VERSION = 1


class _Missing:
    """The value of a field absent from the file: keep what is stored (the default when new)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def _given(value: Any) -> str | None:
    """A text field's value when the file gives a non-blank one, else None."""
    return value if isinstance(value, str) and value else None


class ImportRejected(Exception):
    """The file cannot be imported; `problems` holds one message per line, each with its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# Where a problem is, and collecting problems ----------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A path into the file (`objectives[3].key_results[1]`) and a label a person recognises."""

    path: str
    label: str = ""

    def at(self, name: str) -> Where:
        return Where(f"{self.path}.{name}" if self.path else name, self.label)

    def item(self, index: int) -> Where:
        return Where(f"{self.path}[{index}]", self.label)

    def named(self, label: str) -> Where:
        return Where(self.path, label)


class Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: Where, message: str) -> None:
        line = f"{where.path}: {message}"
        if where.label:
            line += f" (in {where.label})"
        self.lines.append(line)

    def raise_if_any(self) -> None:
        if self.lines:
            raise ImportRejected(self.lines)


def _show(value: Any) -> str:
    """A value as the file's author wrote it."""
    if isinstance(value, Decimal):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return repr(value)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Scalars --------------------------------------------------------------------------------------

_MAX_INTEGER = Decimal(10) ** (VALUE["max_digits"] - VALUE["decimal_places"])
_STEP = Decimal(1).scaleb(-VALUE["decimal_places"])
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+(,\d+)+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_number(value: Any) -> Decimal:
    """A JSON number or numeric string as a Decimal that fits the database's value columns.

    Raises ValueError with a message for the file's author. "1,5" is refused rather than read:
    a comma is a decimal separator in half of Europe and a thousands separator elsewhere.
    """
    if isinstance(value, bool):  # bool is an int in Python; true is not a number in a file
        raise ValueError(f"{_show(value)} is not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # repr is the shortest text that reads back the same
    elif isinstance(value, str):
        text = value.strip()
        if _COMMA_DECIMAL.fullmatch(text):
            raise ValueError(
                f"{_show(value)} is not a number: write decimals with a point, and no "
                "thousands separators (a comma could mean either, so it is not guessed)"
            )
        if not _NUMBER_TEXT.fullmatch(text):
            raise ValueError(f"{_show(value)} is not a number")
        number = Decimal(text)
    else:
        raise ValueError(f"{_show(value)} is not a number")
    if not number.is_finite():
        raise ValueError(f"{_show(value)} is not a number")
    if abs(number) >= _MAX_INTEGER:
        raise ValueError(f"{_show(value)} is too large")
    if number != number.quantize(_STEP):
        raise ValueError(f"{_show(value)} has more than {VALUE['decimal_places']} decimal places")
    return number


def parse_date(value: Any) -> date:
    """An ISO date, "2026-10-01". Raises ValueError with a message for the file's author."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError(f"{_show(value)} is not a date: write it as YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{_show(value)} is not a date: write it as YYYY-MM-DD") from None


def normalise_title(title: str) -> str:
    """The loose form of a title, for alignment references that do not match exactly: case
    folded, punctuation read as a space, runs of whitespace collapsed. So "Ship safely, fast"
    and "ship safely - fast" meet, and "zero-downtime" meets "zero downtime"."""
    spaced = "".join(
        " " if unicodedata.category(ch).startswith("P") else ch for ch in title.casefold()
    )
    return " ".join(spaced.split())


class _Reader:
    """Reads the fields of one JSON object, recording problems instead of raising.

    Each reader returns MISSING when the key is absent, None when it is null (and null is
    allowed), and the parsed value otherwise. After a problem it returns MISSING or None:
    the import stops after parsing anyway, so later code never writes such a value.
    """

    def __init__(
        self, raw: Any, where: Where, problems: Problems, allowed: tuple[str, ...]
    ) -> None:
        self.where = where
        self.problems = problems
        self.ok = isinstance(raw, dict)
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.allowed = allowed
        if not self.ok:
            problems.add(where, f"expected an object {{...}}, found {_show(raw)}")

    def done(self) -> None:
        """Refuse fields the format does not have: a typo ("taget") would otherwise vanish.
        Called once the item's label is known, so the problem carries it."""
        for key in self.raw:
            if key not in self.allowed:
                self.error(key, f"unknown field; expected one of: {', '.join(self.allowed)}")

    def has(self, key: str) -> bool:
        return key in self.raw

    def error(self, key: str, message: str) -> None:
        self.problems.add(self.where.at(key), message)

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> Any:
        if key not in self.raw:
            if required and self.ok:
                self.error(key, "is required")
            return MISSING
        value = self.raw[key]
        if value is None:
            if required:
                self.error(key, "is required")
            return None
        if not isinstance(value, str):
            self.error(key, f"expected text, found {_show(value)}")
            return MISSING
        value = value.strip()
        if required and not value:
            self.error(key, "is required and may not be blank")
            return None
        if max_length is not None and len(value) > max_length:
            self.error(key, f"is {len(value)} characters long; at most {max_length} fit")
            return MISSING
        return value

    def choice(self, key: str, choices: list[str]) -> Any:
        value = self.text(key)
        if isinstance(value, str) and value not in choices:
            self.error(key, f"{_show(value)} is not one of: {', '.join(choices)}")
            return MISSING
        if value is None:
            self.error(key, f"may not be null; one of: {', '.join(choices)}")
            return MISSING
        return value

    def number(self, key: str) -> Any:
        if key not in self.raw:
            return MISSING
        if self.raw[key] is None:
            return None
        try:
            return parse_number(self.raw[key])
        except ValueError as exc:
            self.error(key, str(exc))
            return MISSING

    def date(self, key: str, *, required: bool = False) -> Any:
        if key not in self.raw or self.raw[key] is None:
            if required and self.ok:
                self.error(key, "is required")
            return MISSING if key not in self.raw else None
        try:
            return parse_date(self.raw[key])
        except ValueError as exc:
            self.error(key, str(exc))
            return MISSING

    def boolean(self, key: str) -> Any:
        if key not in self.raw:
            return MISSING
        value = self.raw[key]
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, found {_show(value)}")
            return MISSING
        return value

    def email(self, key: str, *, required: bool = False) -> Any:
        value = self.text(key, required=required, max_length=254)
        if isinstance(value, str):
            try:
                validate_email(value)
            except ValidationError:
                self.error(key, f"{_show(value)} is not an email address")
                return MISSING
            return normalize_email(value)
        return value

    def items(self, key: str) -> list[tuple[Where, Any]]:
        """The elements of a list field, each with its path; [] when absent or null."""
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(key, f"expected a list [...], found {_show(value)}")
            return []
        return [(self.where.at(key).item(i), element) for i, element in enumerate(value)]


# The parsed file ------------------------------------------------------------------------------


@dataclass
class UnitSpec:
    where: Where
    name: str
    kind: str | None  # None: inferred from the parent's kind
    parent: str | None  # a unit reference; None for the company
    description: Any  # str | MISSING


@dataclass
class MembershipSpec:
    where: Where
    unit: str
    role: str


@dataclass
class PersonSpec:
    where: Where
    email: str
    name: Any  # str | MISSING
    time_zone: Any  # str | MISSING
    org_admin: Any  # bool | MISSING
    memberships: list[MembershipSpec]


@dataclass
class CycleSpec:
    where: Where
    name: str
    starts_on: date
    ends_on: date
    setting_opens_on: Any  # date | MISSING
    scoring_opens_on: Any  # date | MISSING
    phase: Any  # str | MISSING


@dataclass
class MetricSpec:
    where: Where
    name: str
    # Only the fields the file states; absent ones keep what the database has.
    fields: dict[str, str]


@dataclass
class BaselineSpec:
    value: Decimal | None
    measured_on: date | None
    source: str


@dataclass
class KeyResultSpec:
    where: Where
    statement: str
    metric: Any  # MetricSpec | None | MISSING
    unit: Any  # str | None | MISSING
    direction: Any  # str | MISSING (inferred when new)
    baseline: Any  # BaselineSpec | None | MISSING
    target: Any  # Decimal | None | MISSING
    owner: Any  # email | None | MISSING
    measurement_ends_on: Any  # date | None | MISSING
    current_value: Any  # Decimal | None | MISSING
    confidence: Any  # int | None | MISSING
    # The final score, kept on the key result (KeyResult.score).
    score: Any


@dataclass
class AlignSpec:
    where: Where
    ref: str | None
    unit: str | None
    title: str | None
    how: str
    expected_contribution: Any  # str | None | MISSING


@dataclass
class DependencySpec:
    where: Where
    unit: str
    description: str
    status: Any  # str | MISSING
    response: Any  # str | None | MISSING


@dataclass
class ObjectiveSpec:
    where: Where
    ref: str | None
    unit: str
    title: str
    description: Any
    kind: Any
    status: Any
    owner: Any
    aligns_to: list[AlignSpec]
    key_results: list[KeyResultSpec]
    dependencies: list[DependencySpec]


@dataclass
class ImportData:
    units: list[UnitSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    cycle: CycleSpec | None = None
    objectives: list[ObjectiveSpec] = field(default_factory=list)


def _choices(model_choices: type[models.TextChoices]) -> list[str]:
    return [str(value) for value in model_choices.values]


def parse(raw: Any) -> ImportData:
    """Check the decoded file's shape and values; no database access.

    Raises ImportRejected listing every problem found.
    """
    problems = Problems()
    top = _Reader(
        raw, Where(""), problems, ("format", "version", "units", "people", "cycle", "objectives")
    )
    if not top.ok:
        problems.raise_if_any()
    top.done()
    if top.has("format") and top.raw["format"] != FORMAT:
        top.error("format", f"{_show(top.raw['format'])} is not {_show(FORMAT)}")
    if top.has("version") and top.raw["version"] != VERSION:
        top.error(
            "version", f"{_show(top.raw['version'])}: this Quarterdeck reads version {VERSION}"
        )
    data = ImportData()
    data.units = [_parse_unit(w, r, problems) for w, r in top.items("units")]
    data.people = [_parse_person(w, r, problems) for w, r in top.items("people")]
    if top.raw.get("cycle") is not None:
        data.cycle = _parse_cycle(Where("cycle"), top.raw["cycle"], problems)
    data.objectives = [_parse_objective(w, r, problems) for w, r in top.items("objectives")]
    if data.objectives and top.raw.get("cycle") is None:
        top.error("cycle", "is required when the file has objectives")

    seen_emails: dict[str, Where] = {}
    for person in data.people:
        if person.email in seen_emails:
            problems.add(
                person.where.at("email"), f"{person.email} is also {seen_emails[person.email].path}"
            )
        seen_emails.setdefault(person.email, person.where)
    seen_refs: dict[str, Where] = {}
    for objective in data.objectives:
        if objective.ref is not None:
            if objective.ref in seen_refs:
                problems.add(
                    objective.where.at("ref"),
                    f"{_show(objective.ref)} is also the ref of {seen_refs[objective.ref].path}",
                )
            seen_refs.setdefault(objective.ref, objective.where)
    problems.raise_if_any()
    return data


def _parse_unit(where: Where, raw: Any, problems: Problems) -> UnitSpec:
    r = _Reader(raw, where, problems, ("name", "kind", "parent", "description"))
    name = r.text("name", required=True, max_length=200)
    where = where.named(f"unit {_show(name)}") if isinstance(name, str) else where
    r.where = where
    r.done()
    kind = r.choice("kind", _choices(OrgUnit.Kind)) if r.has("kind") else None
    parent = r.text("parent")
    if parent == "":
        parent = None
    if kind == OrgUnit.Kind.COMPANY and isinstance(parent, str):
        r.error("parent", "the company is the root of the organisation: it has no parent")
    elif kind in (OrgUnit.Kind.FUNCTION, OrgUnit.Kind.TEAM) and not isinstance(parent, str):
        r.error("parent", f"is required: only the company has no parent, and this is a {kind}")
    return UnitSpec(
        where=where,
        name=name if isinstance(name, str) else "",
        kind=kind if isinstance(kind, str) else None,
        parent=parent if isinstance(parent, str) else None,
        description=_blank_if_null(r.text("description")),
    )


def _blank_if_null(value: Any) -> Any:
    """null clears a text field, which the database stores as blank."""
    return "" if value is None else value


def _parse_person(where: Where, raw: Any, problems: Problems) -> PersonSpec:
    r = _Reader(raw, where, problems, ("email", "name", "time_zone", "org_admin", "memberships"))
    email = r.email("email", required=True)
    if isinstance(email, str):
        r.where = where = where.named(f"person {email}")
    r.done()
    name = r.text("name", max_length=150)
    if name is None or name == "":
        r.error("name", "may not be blank")
        name = MISSING
    time_zone = r.text("time_zone", max_length=64)
    if isinstance(time_zone, str):
        try:
            validate_time_zone(time_zone)
        except ValidationError:
            r.error(
                "time_zone", f"{_show(time_zone)} is not a known time zone (such as Europe/Oslo)"
            )
            time_zone = MISSING
    elif time_zone is None:
        time_zone = MISSING
    memberships = []
    for mwhere, mraw in r.items("memberships"):
        m = _Reader(mraw, mwhere.named(where.label), problems, ("unit", "role"))
        m.done()
        unit = m.text("unit", required=True)
        role = m.choice("role", _choices(Membership.Role)) if m.has("role") else "member"
        if isinstance(unit, str) and isinstance(role, str):
            memberships.append(MembershipSpec(where=m.where, unit=unit, role=role))
    return PersonSpec(
        where=where,
        email=email if isinstance(email, str) else "",
        name=name,
        time_zone=time_zone,
        org_admin=r.boolean("org_admin"),
        memberships=memberships,
    )


def _parse_cycle(where: Where, raw: Any, problems: Problems) -> CycleSpec | None:
    r = _Reader(
        raw,
        where,
        problems,
        ("name", "starts_on", "ends_on", "setting_opens_on", "scoring_opens_on", "phase"),
    )
    r.done()
    name = r.text("name", required=True, max_length=100)
    starts_on = r.date("starts_on", required=True)
    ends_on = r.date("ends_on", required=True)
    setting = r.date("setting_opens_on")
    scoring = r.date("scoring_opens_on")
    phase = r.choice("phase", _choices(Cycle.Phase)) if r.has("phase") else MISSING
    if not (isinstance(name, str) and isinstance(starts_on, date) and isinstance(ends_on, date)):
        return None
    if starts_on >= ends_on:
        r.error("ends_on", f"{ends_on} is not after starts_on ({starts_on})")
    if isinstance(setting, date) and setting > starts_on:
        r.error(
            "setting_opens_on",
            f"{setting} is after starts_on ({starts_on}); the setting "
            "window opens on or before the start",
        )
    if isinstance(scoring, date) and not starts_on <= scoring <= ends_on:
        r.error("scoring_opens_on", f"{scoring} is outside the cycle ({starts_on} to {ends_on})")
    return CycleSpec(
        where=where,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        setting_opens_on=setting if setting is not None else MISSING,
        scoring_opens_on=scoring if scoring is not None else MISSING,
        phase=phase,
    )


def _parse_objective(where: Where, raw: Any, problems: Problems) -> ObjectiveSpec:
    r = _Reader(
        raw,
        where,
        problems,
        (
            "ref",
            "unit",
            "title",
            "description",
            "kind",
            "status",
            "owner",
            "aligns_to",
            "key_results",
            "dependencies",
        ),
    )
    title = r.text("title", required=True, max_length=200)
    unit = r.text("unit", required=True)
    if isinstance(title, str):
        label = f"objective {_show(_short(title))}"
        if isinstance(unit, str):
            label += f" of {unit}"
        r.where = where = where.named(label)
    r.done()
    ref = _given(r.text("ref"))
    description = r.text("description")
    kind = r.choice("kind", _choices(Objective.Kind)) if r.has("kind") else MISSING
    status = r.choice("status", _choices(Objective.Status)) if r.has("status") else MISSING
    owner = r.email("owner")
    aligns_to = [_parse_align(w.named(where.label), a, problems) for w, a in r.items("aligns_to")]
    key_results = [
        _parse_key_result(w, k, problems, where.label) for w, k in r.items("key_results")
    ]
    dependencies = [
        _parse_dependency(w.named(where.label), d, problems) for w, d in r.items("dependencies")
    ]
    return ObjectiveSpec(
        where=where,
        ref=ref,
        unit=unit if isinstance(unit, str) else "",
        title=title if isinstance(title, str) else "",
        description=_blank_if_null(description),
        kind=kind,
        status=status,
        owner=owner,
        aligns_to=[a for a in aligns_to if a is not None],
        key_results=key_results,
        dependencies=[d for d in dependencies if d is not None],
    )


def _parse_align(where: Where, raw: Any, problems: Problems) -> AlignSpec | None:
    r = _Reader(raw, where, problems, ("ref", "unit", "title", "how", "expected_contribution"))
    r.done()
    ref = _given(r.text("ref"))
    unit = _given(r.text("unit"))
    title = _given(r.text("title"))
    how = r.text("how", required=True)
    expected = r.text("expected_contribution", max_length=200)
    if ref is None and title is None and r.ok:
        problems.add(
            where, 'name the parent objective: {"unit": ..., "title": ...} or {"ref": ...}'
        )
        return None
    if ref is not None and (title is not None or unit is not None):
        problems.add(where, 'give either "ref" or "unit" and "title", not both')
        return None
    if not isinstance(how, str):
        return None
    return AlignSpec(
        where=where, ref=ref, unit=unit, title=title, how=how, expected_contribution=expected
    )


def _parse_dependency(where: Where, raw: Any, problems: Problems) -> DependencySpec | None:
    r = _Reader(raw, where, problems, ("unit", "description", "status", "response"))
    r.done()
    unit = r.text("unit", required=True)
    description = r.text("description", required=True)
    status = r.choice("status", _choices(Dependency.Status)) if r.has("status") else MISSING
    response = r.text("response")
    if not (isinstance(unit, str) and isinstance(description, str)):
        return None
    return DependencySpec(
        where=where, unit=unit, description=description, status=status, response=response
    )


def _parse_metric(where: Where, raw: Any, problems: Problems) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str):
        if not raw.strip():
            problems.add(where, "a metric needs a name")
            return MISSING
        if len(raw.strip()) > 200:
            problems.add(where, "is longer than 200 characters")
            return MISSING
        return MetricSpec(where=where, name=" ".join(raw.split()), fields={})
    r = _Reader(raw, where, problems, ("name", "unit", "definition", "source"))
    r.done()
    name = r.text("name", required=True, max_length=200)
    fields: dict[str, str] = {}
    for key, limit in (("unit", 40), ("definition", None), ("source", 300)):
        value = r.text(key, max_length=limit)
        if value is None:
            value = ""
        if isinstance(value, str):
            fields[key] = value
    if not isinstance(name, str):
        return MISSING
    return MetricSpec(where=where, name=" ".join(name.split()), fields=fields)


def _parse_baseline(where: Where, raw: Any, problems: Problems) -> Any:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        try:
            return BaselineSpec(value=parse_number(raw), measured_on=None, source="")
        except ValueError as exc:
            problems.add(where, str(exc))
            return MISSING
    r = _Reader(raw, where, problems, ("value", "measured_on", "source"))
    r.done()
    value = r.number("value")
    measured_on = r.date("measured_on")
    source = r.text("source", max_length=300)
    return BaselineSpec(
        value=value if isinstance(value, Decimal) else None,
        measured_on=measured_on if isinstance(measured_on, date) else None,
        source=source if isinstance(source, str) else "",
    )


def _parse_key_result(where: Where, raw: Any, problems: Problems, objective: str) -> KeyResultSpec:
    r = _Reader(
        raw,
        where.named(objective),
        problems,
        (
            "statement",
            "metric",
            "unit",
            "direction",
            "baseline",
            "target",
            "owner",
            "measurement_ends_on",
            "current_value",
            "confidence",
            "score",
        ),
    )
    statement = r.text("statement", required=True, max_length=500)
    if isinstance(statement, str):
        r.where = where = where.named(f"key result {_show(_short(statement))} of {objective}")
    r.done()
    metric = (
        _parse_metric(where.at("metric"), r.raw["metric"], problems) if r.has("metric") else MISSING
    )
    unit = r.text("unit", max_length=40)
    direction = (
        r.choice("direction", _choices(KeyResult.Direction)) if r.has("direction") else (MISSING)
    )
    baseline = (
        _parse_baseline(where.at("baseline"), r.raw["baseline"], problems)
        if r.has("baseline")
        else MISSING
    )
    confidence = r.number("confidence")
    if isinstance(confidence, Decimal):
        if confidence != confidence.to_integral_value() or not 0 <= confidence <= 100:
            r.error(
                "confidence", f"{_show(r.raw['confidence'])} is not a whole number from 0 to 100"
            )
            confidence = MISSING
        else:
            confidence = int(confidence)
    score = r.number("score")
    if isinstance(score, Decimal) and (
        not 0 <= score <= 1 or score != score.quantize(Decimal("0.1"))
    ):
        r.error("score", f"{_show(r.raw['score'])} is not a score: 0.0 to 1.0 in steps of 0.1")
    return KeyResultSpec(
        where=where,
        statement=statement if isinstance(statement, str) else "",
        metric=metric,
        unit="" if unit is None else unit,
        direction=direction,
        baseline=baseline,
        target=r.number("target"),
        owner=r.email("owner"),
        measurement_ends_on=r.date("measurement_ends_on"),
        current_value=r.number("current_value"),
        confidence=confidence,
        score=score,
    )


# Resolving references -------------------------------------------------------------------------


@dataclass(eq=False)
class UnitNode:
    """A unit of the organisation as it will be after the import: stored, from the file, or
    both (the file's entry for a stored unit)."""

    name: str
    kind: str
    parent: UnitNode | None
    db: OrgUnit | None = None
    spec: UnitSpec | None = None
    children: dict[str, UnitNode] = field(default_factory=dict)

    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


_PATH_SEPARATOR = re.compile(r"\s+/\s+")


class UnitIndex:
    """Finds units by reference: a name ("Payments"), or when names repeat, a path of names
    ending in the unit's ("Engineering / Payments"). Names match in any case, as the unique
    constraint among siblings does."""

    def __init__(self) -> None:
        self.nodes: list[UnitNode] = []
        self.by_name: dict[str, list[UnitNode]] = defaultdict(list)
        self.company: UnitNode | None = None

    def add(self, node: UnitNode) -> UnitNode:
        self.nodes.append(node)
        self.by_name[node.name.lower()].append(node)
        if node.parent is None:
            self.company = node
        else:
            node.parent.children[node.name.lower()] = node
        return node

    def find(self, reference: str) -> list[UnitNode]:
        reference = reference.strip()
        whole = self.by_name.get(reference.lower())
        if whole:
            return list(whole)
        parts = _PATH_SEPARATOR.split(reference)
        if len(parts) < 2:
            return []
        found = []
        for node in self.by_name.get(parts[-1].lower(), []):
            ancestor = node.parent
            for name in reversed(parts[:-1]):
                if ancestor is None or ancestor.name.lower() != name.lower():
                    break
                ancestor = ancestor.parent
            else:
                found.append(node)
        return found

    def reference(self, node: UnitNode) -> str:
        """The shortest reference that finds exactly this unit (export uses it)."""
        names: list[str] = []
        current: UnitNode | None = node
        while current is not None:
            names.insert(0, current.name)
            candidate = " / ".join(names)
            if self.find(candidate) == [node]:
                return candidate
            current = current.parent
        return node.path()

    def tree_order(self) -> list[UnitNode]:
        """Parents before children, siblings by name: the order export writes."""
        ordered: list[UnitNode] = []
        roots = sorted((n for n in self.nodes if n.parent is None), key=_unit_sort_key)
        stack = list(reversed(roots))
        while stack:
            node = stack.pop()
            ordered.append(node)
            stack.extend(sorted(node.children.values(), key=_unit_sort_key, reverse=True))
        return ordered

    @classmethod
    def from_database(cls) -> UnitIndex:
        index = cls()
        units = {u.pk: u for u in OrgUnit.objects.all()}
        nodes: dict[int, UnitNode] = {}

        def node_for(unit: OrgUnit) -> UnitNode:
            if unit.pk not in nodes:
                parent = node_for(units[unit.parent_id]) if unit.parent_id else None
                nodes[unit.pk] = index.add(
                    UnitNode(name=unit.name, kind=unit.kind, parent=parent, db=unit)
                )
            return nodes[unit.pk]

        for unit in sorted(units.values(), key=lambda u: u.pk):
            node_for(unit)
        return index


def _unit_sort_key(node: UnitNode) -> tuple[str, str]:
    return (node.name.lower(), node.name)


_ALLOWED_PARENT_KINDS = {
    OrgUnit.Kind.FUNCTION: {OrgUnit.Kind.COMPANY},
    OrgUnit.Kind.TEAM: {OrgUnit.Kind.FUNCTION, OrgUnit.Kind.TEAM},
}


@dataclass(eq=False)
class ObjNode:
    """An objective of the cycle after the import: stored, from the file, or both."""

    unit: UnitNode
    title: str
    spec: ObjectiveSpec | None = None
    db: Objective | None = None
    index: int = 0  # position among the cycle's objectives, used as a graph node id

    def describe(self) -> str:
        where = self.spec.where.path if self.spec else "already in the database"
        return f"{_show(self.title)} ({self.unit.name}, {where})"

    def short(self) -> str:
        return f"{_show(self.title)} ({self.unit.name})"


@dataclass
class Plan:
    """Everything stage 3 writes, with every reference resolved."""

    data: ImportData
    units: UnitIndex
    placed_units: list[UnitNode]
    users: dict[str, User]
    memberships: list[tuple[PersonSpec, MembershipSpec, UnitNode]]
    cycle: Any  # Cycle | None
    objectives: list[ObjNode]  # the file's, in file order
    links: list[tuple[ObjNode, ObjNode, AlignSpec]]
    dependencies: list[tuple[ObjNode, UnitNode, DependencySpec]]
    existing_links: dict[tuple[int, int], AlignmentLink]


class _Resolver:
    def __init__(self, data: ImportData) -> None:
        self.data = data
        self.problems = Problems()
        self.units = UnitIndex.from_database()

    def unit(self, reference: str, where: Where) -> UnitNode | None:
        found = self.units.find(reference)
        if len(found) == 1:
            return found[0]
        if not found:
            self.problems.add(where, f"no unit {_show(reference)} in the file or the database")
        else:
            paths = " and ".join(sorted(_show(n.path()) for n in found))
            self.problems.add(
                where,
                f"{_show(reference)} could be {paths}: write the unit as "
                'a path, such as "Parent / Unit"',
            )
        return None

    def resolve(self) -> Plan:
        placed = self._place_units()
        users = self._people()
        memberships = self._memberships()
        cycle = self._cycle()
        objectives, all_objectives = self._objectives(cycle)
        existing_links: dict[tuple[int, int], AlignmentLink] = {}
        if cycle is not None:
            existing_links = {
                (link.child_id, link.parent_id): link
                for link in AlignmentLink.objects.filter(child__cycle=cycle)
            }
        links = self._links(objectives, all_objectives, existing_links)
        dependencies = self._dependencies(objectives)
        self._owners(users)
        self.problems.raise_if_any()
        return Plan(
            data=self.data,
            units=self.units,
            placed_units=placed,
            users=users,
            memberships=memberships,
            cycle=cycle,
            objectives=objectives,
            links=links,
            dependencies=dependencies,
            existing_links=existing_links,
        )

    # Units: a file may list children before parents, and a parent may be a stored unit, so
    # units are placed in passes until no more parents can be found.
    def _place_units(self) -> list[UnitNode]:
        placed: list[UnitNode] = []
        pending = list(self.data.units)
        while pending:
            waiting = []
            for spec in pending:
                if spec.parent is None:
                    node = self._place_company(spec)
                else:
                    parents = self.units.find(spec.parent)
                    if not parents:
                        waiting.append(spec)  # perhaps a unit placed later in this pass
                        continue
                    if len(parents) > 1:
                        self.unit(spec.parent, spec.where.at("parent"))  # reports the ambiguity
                        continue
                    node = self._place_under(spec, parents[0])
                if node is not None:
                    placed.append(node)
            if len(waiting) == len(pending):
                for spec in waiting:
                    self.problems.add(
                        spec.where.at("parent"),
                        f"no unit {_show(spec.parent)} in the file or the database",
                    )
                break
            pending = waiting
        # A parent named by a bare name was unique when its child was placed; a unit placed
        # later may share that name, and then the file is ambiguous.
        for node in placed:
            spec = node.spec
            if (
                spec is not None
                and spec.parent is not None
                and len(self.units.find(spec.parent)) > 1
            ):
                self.unit(spec.parent, spec.where.at("parent"))
        return placed

    def _place_company(self, spec: UnitSpec) -> UnitNode | None:
        company = self.units.company
        if spec.kind not in (None, OrgUnit.Kind.COMPANY):
            self.problems.add(
                spec.where.at("parent"),
                f"is required: only the company has no parent, and this is a {spec.kind}",
            )
            return None
        if company is None:
            return self.units.add(
                UnitNode(name=spec.name, kind=OrgUnit.Kind.COMPANY, parent=None, spec=spec)
            )
        if company.name.lower() != spec.name.lower():
            self.problems.add(
                spec.where.at("name"),
                f"the organisation's company is {_show(company.name)}; there is "
                "one company, so a file can add to it but not start another",
            )
            return None
        if company.spec is not None:
            self.problems.add(spec.where, f"the company is also {company.spec.where.path}")
            return None
        company.spec = spec
        return company

    def _place_under(self, spec: UnitSpec, parent: UnitNode) -> UnitNode | None:
        kind = spec.kind or (
            OrgUnit.Kind.FUNCTION if parent.kind == OrgUnit.Kind.COMPANY else OrgUnit.Kind.TEAM
        )
        existing = parent.children.get(spec.name.lower())
        if existing is not None:
            if existing.spec is not None:
                self.problems.add(
                    spec.where,
                    f"the same unit as {existing.spec.where.path} ({_show(existing.path())})",
                )
                return None
            if spec.kind is not None and existing.kind != spec.kind:
                self.problems.add(
                    spec.where.at("kind"),
                    f"{_show(existing.path())} exists as a {existing.kind}; an "
                    "import does not change a unit's kind",
                )
                return None
            existing.spec = spec
            return existing
        if parent.kind not in _ALLOWED_PARENT_KINDS.get(kind, set()):
            self.problems.add(
                spec.where.at("parent"),
                f"a {kind} cannot sit under {_show(parent.name)}, a {parent.kind}",
            )
            return None
        return self.units.add(UnitNode(name=spec.name, kind=kind, parent=parent, spec=spec))

    def _people(self) -> dict[str, User]:
        emails = {p.email for p in self.data.people}
        for objective in self.data.objectives:
            emails.add(objective.owner)
            emails.update(kr.owner for kr in objective.key_results)
        emails = {e for e in emails if isinstance(e, str)}
        users = {u.email: u for u in User.objects.filter(email__in=emails)}
        for person in self.data.people:
            if person.email not in users and person.name is MISSING:
                self.problems.add(person.where.at("name"), "is required for a new person")
        return users

    def _memberships(self) -> list[tuple[PersonSpec, MembershipSpec, UnitNode]]:
        found = []
        for person in self.data.people:
            seen: dict[int, MembershipSpec] = {}
            for membership in person.memberships:
                unit = self.unit(membership.unit, membership.where.at("unit"))
                if unit is None:
                    continue
                if id(unit) in seen:
                    self.problems.add(
                        membership.where.at("unit"),
                        f"{_show(unit.path())} is also {seen[id(unit)].where.path}",
                    )
                    continue
                seen[id(unit)] = membership
                found.append((person, membership, unit))
        return found

    def _owners(self, users: dict[str, User]) -> None:
        known = set(users) | {p.email for p in self.data.people}
        for objective in self.data.objectives:
            owners = [(objective.where.at("owner"), objective.owner)]
            owners += [(kr.where.at("owner"), kr.owner) for kr in objective.key_results]
            for where, email in owners:
                if isinstance(email, str) and email not in known:
                    self.problems.add(where, f"no person {email} in the file or the database")

    def _cycle(self) -> Any:
        spec = self.data.cycle
        if spec is None:
            return None
        # Lock the cycle as alignment_link_create does: a link added from the setting page
        # while this import runs could otherwise close a loop with the file's links that
        # neither check saw. (A new cycle needs no lock: a concurrent import creating the same
        # one fails on the unique name.)
        return Cycle.objects.select_for_update().filter(name=spec.name).first()

    def _objectives(self, cycle: Any) -> tuple[list[ObjNode], list[ObjNode]]:
        """Match the file's objectives to stored ones: by unit and exact title, the n-th in the
        file to the n-th stored (so two objectives with one title in one unit stay two)."""
        by_db_id = {n.db.pk: n for n in self.units.nodes if n.db is not None}
        stored: dict[tuple[int, str], deque[ObjNode]] = defaultdict(deque)
        all_nodes: list[ObjNode] = []
        if cycle is not None:
            for objective in Objective.objects.filter(cycle=cycle).order_by("order", "pk"):
                node = ObjNode(
                    unit=by_db_id[objective.unit_id], title=objective.title, db=objective
                )
                stored[(id(node.unit), node.title)].append(node)
                all_nodes.append(node)
        in_file: list[ObjNode] = []
        for spec in self.data.objectives:
            unit = self.unit(spec.unit, spec.where.at("unit"))
            if unit is None:
                continue
            queue = stored.get((id(unit), spec.title))
            if queue:
                node = queue.popleft()
                node.spec = spec
            else:
                node = ObjNode(unit=unit, title=spec.title, spec=spec)
                all_nodes.append(node)
            in_file.append(node)
        for i, node in enumerate(all_nodes):
            node.index = i
        return in_file, all_nodes

    def _target(
        self, align: AlignSpec, pool: list[ObjNode], refs: dict[str, ObjNode]
    ) -> ObjNode | None:
        where = align.where
        if align.ref is not None:
            node = refs.get(align.ref)
            if node is None:
                self.problems.add(
                    where.at("ref"), f"no objective in the file has the ref {_show(align.ref)}"
                )
            return node
        assert align.title is not None
        place = ""
        if align.unit is not None:
            unit = self.unit(align.unit, where.at("unit"))
            if unit is None:
                return None
            pool = [n for n in pool if n.unit is unit]
            place = f" in {_show(unit.path())}"
        exact = [n for n in pool if n.title == align.title]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            self.problems.add(
                where.at("title"),
                f"{len(exact)} objectives{place} are titled {_show(align.title)}: "
                f"{' and '.join(n.describe() for n in exact)}; give the one meant a "
                '"ref" and align to {"ref": ...}',
            )
            return None
        loose = normalise_title(align.title)
        close = [n for n in pool if normalise_title(n.title) == loose]
        if len(close) == 1:
            return close[0]
        if close:
            self.problems.add(
                where.at("title"),
                f"{_show(align.title)} does not match any title{place} exactly, "
                f"and loosely matches {' and '.join(n.describe() for n in close)}; "
                "write the title exactly",
            )
        else:
            self.problems.add(
                where.at("title"),
                f"no objective titled {_show(align.title)}{place} in the file or the cycle",
            )
        return None

    def _links(
        self,
        objectives: list[ObjNode],
        all_objectives: list[ObjNode],
        existing: dict[tuple[int, int], AlignmentLink],
    ) -> list[tuple[ObjNode, ObjNode, AlignSpec]]:
        refs = {n.spec.ref: n for n in objectives if n.spec and n.spec.ref}
        by_db_id = {n.db.pk: n for n in all_objectives if n.db is not None}
        graph = [(by_db_id[c].index, by_db_id[p].index) for c, p in existing]
        edges = set(graph)
        links = []
        resolved: list[tuple[ObjNode, ObjNode, AlignSpec]] = []
        for child in objectives:
            assert child.spec is not None
            chosen: dict[int, AlignSpec] = {}
            for align in child.spec.aligns_to:
                parent = self._target(align, all_objectives, refs)
                if parent is None:
                    continue
                if parent is child:
                    self.problems.add(align.where, "an objective cannot align to itself")
                    continue
                if id(parent) in chosen:
                    self.problems.add(
                        align.where,
                        f"already aligned to {parent.short()} by {chosen[id(parent)].where.path}",
                    )
                    continue
                chosen[id(parent)] = align
                resolved.append((child, parent, align))
        new = [(c.index, p.index) for c, p, _ in resolved if (c.index, p.index) not in edges]
        if _acyclic([*graph, *new]):
            return resolved
        # Some link closes a loop. Add the file's links one at a time, as the setting page
        # would, to name each one that does; this is quadratic, so only on this path.
        for child, parent, align in resolved:
            pair = (child.index, parent.index)
            if pair in edges:
                links.append((child, parent, align))
                continue
            if alignment_creates_cycle(graph, child.index, parent.index):
                chain = _chain(graph, parent.index, child.index)
                names = " → ".join(all_objectives[i].short() for i in chain)
                self.problems.add(
                    align.where,
                    f"aligning {child.short()} to {parent.short()} would "
                    f"make a loop: {names} → {parent.short()} (→ reads "
                    '"contributes to")',
                )
                continue
            graph.append(pair)
            edges.add(pair)
            links.append((child, parent, align))
        return links

    def _dependencies(
        self, objectives: list[ObjNode]
    ) -> list[tuple[ObjNode, UnitNode, DependencySpec]]:
        found = []
        for node in objectives:
            assert node.spec is not None
            for dependency in node.spec.dependencies:
                provider = self.unit(dependency.unit, dependency.where.at("unit"))
                if provider is None:
                    continue
                if provider is node.unit:
                    self.problems.add(
                        dependency.where.at("unit"),
                        "a dependency is on another unit than the objective's own",
                    )
                    continue
                found.append((node, provider, dependency))
        return found


def _acyclic(links: list[tuple[int, int]]) -> bool:
    """Whether the child -> parent graph has no loop (Kahn's algorithm: linear)."""
    ups: dict[int, list[int]] = defaultdict(list)
    incoming: dict[int, int] = defaultdict(int)
    for child, parent in set(links):
        ups[child].append(parent)
        incoming[parent] += 1
        incoming.setdefault(child, 0)
    ready = [node for node, count in incoming.items() if count == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for parent in ups[node]:
            incoming[parent] -= 1
            if incoming[parent] == 0:
                ready.append(parent)
    return seen == len(incoming)


def _chain(links: list[tuple[int, int]], start: int, goal: int) -> list[int]:
    """The path upward (child -> parent) from start to goal, for naming a loop."""
    ups: dict[int, list[int]] = defaultdict(list)
    for child, parent in links:
        ups[child].append(parent)
    came_from: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for parent in ups[node]:
            if parent not in came_from:
                came_from[parent] = node
                queue.append(parent)
    path: list[int] = []
    step: int | None = goal
    while step is not None:
        path.append(step)
        step = came_from.get(step)
    return list(reversed(path))


# Writing --------------------------------------------------------------------------------------

KINDS = (
    "units",
    "people",
    "memberships",
    "cycles",
    "metrics",
    "objectives",
    "key results",
    "alignment links",
    "dependencies",
)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportSummary:
    """Created, updated and unchanged counts per kind of thing."""

    counts: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    dry_run: bool = False

    def count(self, kind: str, changed: bool | None) -> None:
        """changed: None for created, True for updated, False for unchanged."""
        tally = self.counts[kind]
        if changed is None:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1

    @property
    def changes(self) -> int:
        return sum(t.created + t.updated for t in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{kind:<16} {t.created:>5} created {t.updated:>5} updated {t.unchanged:>5} unchanged"
            for kind, t in self.counts.items()
        ]


def _assign(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set the fields whose new value differs from the stored one; return their names.
    MISSING values (absent from the file) are skipped."""
    changed = []
    for name, value in values.items():
        if value is MISSING:
            continue
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _clean(obj: models.Model, where: Where, **kwargs: Any) -> None:
    """full_clean, reported against the file's path. Stage 1 and 2 catch what a file can get
    wrong; this is the backstop for a rule they do not know about."""
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        messages = [f"{name}: {'; '.join(errors)}" for name, errors in exc.message_dict.items()]
        raise ImportRejected([f"{where.path}: {m}" for m in messages]) from exc


class _Applier:
    def __init__(self, plan: Plan, summary: ImportSummary) -> None:
        self.plan = plan
        self.summary = summary
        self.users = dict(plan.users)
        self.metrics: dict[str, Metric] = {}  # by lower-case name, as the file names them
        self.metrics_by_pk: dict[int, Metric] = {}

    def apply(self) -> None:
        self._units()
        self._people()
        self._memberships()
        cycle = self._cycle()
        if cycle is None:
            return
        self._metrics()
        self._objectives(cycle)
        self._links()
        self._dependencies()

    def _units(self) -> None:
        for node in self.plan.placed_units:
            spec = node.spec
            assert spec is not None
            if node.db is None:
                unit = OrgUnit(
                    name=spec.name,
                    kind=node.kind,
                    parent=node.parent.db if node.parent else None,
                    description=spec.description if isinstance(spec.description, str) else "",
                )
                _clean(unit, spec.where)
                unit.save()
                node.db = unit
                self.summary.count("units", None)
                continue
            changed = _assign(node.db, {"description": spec.description})
            if changed:
                _clean(node.db, spec.where)
                node.db.save(update_fields=changed)
            self.summary.count("units", bool(changed))

    def _people(self) -> None:
        for person in self.plan.data.people:
            user = self.users.get(person.email)
            if user is None:
                try:
                    user = user_create(
                        email=person.email,
                        name=person.name,
                        time_zone=person.time_zone if isinstance(person.time_zone, str) else "UTC",
                        is_org_admin=person.org_admin is True,
                    )
                except ValidationError as exc:
                    raise ImportRejected(
                        [f"{person.where.path}: {'; '.join(exc.messages)}"]
                    ) from exc
                self.users[person.email] = user
                self.summary.count("people", None)
                continue
            # Org-admin rights are granted by a file, never taken away by one: a file listing
            # the operator without "org_admin" must not lock them out of the admin.
            grant = MISSING if person.org_admin is not True else True
            changed = _assign(
                user,
                {
                    "name": person.name,
                    "time_zone": person.time_zone,
                    "is_staff": grant,
                    "is_superuser": grant,
                },
            )
            if changed:
                _clean(user, person.where, exclude=["password"])
                user.save(update_fields=changed)
            self.summary.count("people", bool(changed))

    def _memberships(self) -> None:
        stored = {
            (m.user_id, m.unit_id): m.role
            for m in Membership.objects.filter(
                user__in=[self.users[p.email] for p in self.plan.data.people]
            )
        }
        for person, membership, unit in self.plan.memberships:
            user = self.users[person.email]
            assert unit.db is not None
            role = stored.get((user.pk, unit.db.pk))
            if role != membership.role:
                membership_set(user=user, unit=unit.db, role=membership.role)
            self.summary.count("memberships", None if role is None else role != membership.role)

    def _cycle(self) -> Any:
        spec = self.plan.data.cycle
        if spec is None:
            return None
        cycle = self.plan.cycle
        if cycle is None:
            defaults = Cycle.default_dates(spec.starts_on, spec.ends_on)
            cycle = Cycle(
                name=spec.name,
                starts_on=spec.starts_on,
                ends_on=spec.ends_on,
                setting_opens_on=spec.setting_opens_on
                if isinstance(spec.setting_opens_on, date)
                else defaults["setting_opens_on"],
                scoring_opens_on=spec.scoring_opens_on
                if isinstance(spec.scoring_opens_on, date)
                else defaults["scoring_opens_on"],
            )
            if isinstance(spec.phase, str):
                cycle.phase = spec.phase
            _clean(cycle, spec.where)
            cycle.save()
            self.summary.count("cycles", None)
            return cycle
        changed = _assign(
            cycle,
            {
                "starts_on": spec.starts_on,
                "ends_on": spec.ends_on,
                "setting_opens_on": spec.setting_opens_on,
                "scoring_opens_on": spec.scoring_opens_on,
                "phase": spec.phase,
            },
        )
        if changed:
            _clean(cycle, spec.where)
            cycle.save(update_fields=changed)
        self.summary.count("cycles", bool(changed))
        return cycle

    def _metrics(self) -> None:
        """One metric per name (any case) across the file. Fields the file states set the
        metric's; two key results stating different values for one metric are an error."""
        stated: dict[str, dict[str, tuple[str, Where]]] = {}
        names: dict[str, str] = {}
        fallback_unit: dict[str, str] = {}
        problems = Problems()
        for node in self.plan.objectives:
            assert node.spec is not None
            for kr in node.spec.key_results:
                if not isinstance(kr.metric, MetricSpec):
                    continue
                key = kr.metric.name.lower()
                names.setdefault(key, kr.metric.name)
                if isinstance(kr.unit, str) and kr.unit:
                    fallback_unit.setdefault(key, kr.unit)
                fields = stated.setdefault(key, {})
                for name, value in kr.metric.fields.items():
                    if name in fields and fields[name][0] != value:
                        problems.add(
                            kr.metric.where.at(name),
                            f"{_show(value)} differs from {_show(fields[name][0])} in "
                            f"{fields[name][1].path}, for the same metric "
                            f"{_show(kr.metric.name)}",
                        )
                    fields.setdefault(name, (value, kr.metric.where))
        problems.raise_if_any()
        existing = {" ".join(m.name.split()).lower(): m for m in Metric.objects.all()}
        for key, name in names.items():
            values = {field_name: v for field_name, (v, _) in stated[key].items()}
            metric = existing.get(key)
            if metric is None:
                metric = metric_get_or_create(
                    name=name,
                    unit=values.get("unit", fallback_unit.get(key, "")),
                    definition=values.get("definition", ""),
                    source=values.get("source", ""),
                )
                self.summary.count("metrics", None)
            else:
                changed = _assign(metric, values)
                if changed:
                    where = next(iter(stated[key].values()))[1]
                    _clean(metric, where)
                    metric.save(update_fields=changed)
                self.summary.count("metrics", bool(changed))
            self.metrics[key] = metric
            self.metrics_by_pk[metric.pk] = metric

    def _objectives(self, cycle: Any) -> None:
        position: dict[int, int] = defaultdict(int)
        stored_krs: dict[int, dict[str, deque[KeyResult]]] = defaultdict(lambda: defaultdict(deque))
        for kr in KeyResult.objects.filter(
            objective__in=[n.db for n in self.plan.objectives if n.db is not None]
        ).order_by("order", "pk"):
            stored_krs[kr.objective_id][kr.statement].append(kr)
        for node in self.plan.objectives:
            spec = node.spec
            assert spec is not None and node.unit.db is not None
            # Order follows the file: the n-th objective of a unit in the file is its n-th.
            order = position[id(node.unit)]
            position[id(node.unit)] += 1
            values = {
                "description": spec.description,
                "kind": spec.kind,
                "status": spec.status,
                "owner_id": self._user_id(spec.owner),
                "order": order,
            }
            if node.db is None:
                objective = Objective(unit=node.unit.db, cycle=cycle, title=spec.title)
                _assign(objective, values)
                _clean(objective, spec.where)
                objective.save()
                node.db = objective
                self.summary.count("objectives", None)
            else:
                changed = _assign(node.db, values)
                if changed:
                    # A person with the objective open in an edit form must not overwrite the
                    # imported change unawares: the version check refuses their stale save.
                    node.db.version += 1
                    _clean(node.db, spec.where)
                    node.db.save(update_fields=[*changed, "version", "updated_at"])
                self.summary.count("objectives", bool(changed))
            for order, kr_spec in enumerate(spec.key_results):
                queue = stored_krs[node.db.pk][kr_spec.statement]
                self._key_result(node.db, kr_spec, order, queue.popleft() if queue else None)

    def _user_id(self, email: Any) -> Any:
        if email is MISSING or email is None:
            return email
        return self.users[email].pk

    def _key_result(
        self, objective: Objective, spec: KeyResultSpec, order: int, kr: KeyResult | None
    ) -> None:
        values: dict[str, Any] = {
            "metric_id": self.metrics[spec.metric.name.lower()].pk
            if isinstance(spec.metric, MetricSpec)
            else spec.metric,
            "unit": spec.unit,
            "direction": spec.direction,
            "target": spec.target,
            "owner_id": self._user_id(spec.owner),
            "measurement_ends_on": spec.measurement_ends_on,
            "current_value": spec.current_value,
            "confidence": spec.confidence,
            "score": spec.score,
            "order": order,
        }
        if isinstance(spec.baseline, BaselineSpec) or spec.baseline is None:
            baseline = spec.baseline or BaselineSpec(value=None, measured_on=None, source="")
            values.update(
                baseline_value=baseline.value,
                baseline_measured_on=baseline.measured_on,
                baseline_source=baseline.source,
            )
        created = kr is None
        if kr is None:
            kr = KeyResult(objective=objective, statement=spec.statement)
            if spec.direction is MISSING:
                values["direction"] = _infer_direction(spec)
            changed = _assign(kr, values)
        else:
            changed = _assign(kr, values)
            if changed:
                kr.version += 1
        if created or changed:
            _clean(kr, spec.where)
            kr.save()
            if created:
                _date_from_setting(kr, objective)
            if (
                kr.metric_id
                and kr.baseline_value is not None
                and (
                    created
                    or {"metric_id", "baseline_value", "baseline_measured_on"} & set(changed)
                )
            ):
                # The file's metrics are at hand; a metric the file leaves unchanged is fetched.
                metric = self.metrics_by_pk.get(kr.metric_id) or kr.metric
                metric_record_measurement(
                    metric=metric, value=kr.baseline_value, measured_on=kr.baseline_measured_on
                )
        self.summary.count("key results", None if created else bool(changed))

    def _links(self) -> None:
        for child, parent, spec in self.plan.links:
            assert child.db is not None and parent.db is not None
            link = self.plan.existing_links.get((child.db.pk, parent.db.pk))
            values = {
                "how": spec.how,
                "expected_contribution": (
                    "" if spec.expected_contribution is None else spec.expected_contribution
                ),
            }
            if link is None:
                link = AlignmentLink(child=child.db, parent=parent.db)
                _assign(link, values)
                _clean(link, spec.where)
                link.save()
                self.summary.count("alignment links", None)
                continue
            changed = _assign(link, values)
            if changed:
                _clean(link, spec.where)
                link.save(update_fields=changed)
            self.summary.count("alignment links", bool(changed))

    def _dependencies(self) -> None:
        stored: dict[tuple[int, int, str], deque[Dependency]] = defaultdict(deque)
        for dependency in Dependency.objects.filter(
            objective__in=[n.db for n in self.plan.objectives]
        ).order_by("pk"):
            key = (dependency.objective_id, dependency.provider_id, dependency.description)
            stored[key].append(dependency)
        for node, provider, spec in self.plan.dependencies:
            assert node.db is not None and provider.db is not None
            queue = stored[(node.db.pk, provider.db.pk, spec.description)]
            values = {
                "status": spec.status,
                "response": "" if spec.response is None else spec.response,
            }
            if not queue:
                dependency = Dependency(
                    objective=node.db, provider=provider.db, description=spec.description
                )
                _assign(dependency, values)
                _clean(dependency, spec.where)
                dependency.save()
                self.summary.count("dependencies", None)
                continue
            dependency = queue.popleft()
            changed = _assign(dependency, values)
            if changed:
                _clean(dependency, spec.where)
                dependency.save(update_fields=[*changed, "updated_at"])
            self.summary.count("dependencies", bool(changed))


def _infer_direction(spec: KeyResultSpec) -> str:
    """A new key result without a direction: "decrease" when its target is below its baseline
    (the usual "reduce X from 42 to 15"), else "increase"."""
    baseline = spec.baseline.value if isinstance(spec.baseline, BaselineSpec) else None
    if isinstance(spec.target, Decimal) and baseline is not None and spec.target < baseline:
        return KeyResult.Direction.DECREASE
    return KeyResult.Direction.INCREASE


class _DryRun(Exception):
    """Raised at the end of a dry run to roll back everything it wrote."""


def import_okrs(raw: Any, *, dry_run: bool = False) -> ImportSummary:
    """Import a decoded file: all of it in one transaction, or nothing.

    Raises ImportRejected listing every problem (with its path) when the file cannot be
    imported. A dry run checks and counts everything, then rolls back.
    """
    data = parse(raw)
    summary = ImportSummary(dry_run=dry_run)
    try:
        with transaction.atomic():
            # Resolve inside the transaction, so the rows matched are the rows written.
            plan = _Resolver(data).resolve()
            _Applier(plan, summary).apply()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary


def read_file(path: str | Path) -> Any:
    """Decode a file for import. Raises ImportRejected when it is not readable JSON."""
    path = Path(path)
    try:
        # utf-8-sig: files saved by spreadsheet tools on Windows often start with a BOM.
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportRejected([f"{path}: cannot read it ({exc.strerror or exc})"]) from exc
    except UnicodeDecodeError as exc:
        raise ImportRejected([f"{path}: not UTF-8 text ({exc.reason})"]) from exc
    return loads(text, name=str(path))


def loads(text: str, *, name: str = "input") -> Any:
    """Decode JSON with exact decimals; NaN and Infinity are refused."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a number")

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            [f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from exc
    except ValueError as exc:
        raise ImportRejected([f"{name}: not valid JSON: {exc}"]) from exc


# Export ---------------------------------------------------------------------------------------


def _number(value: Decimal | None) -> Any:
    """A stored decimal as the plainest JSON that reads back as the same value."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    # Values have at most 18 digits; a float holds 15-17, so check rather than assume.
    return as_float if Decimal(repr(as_float)) == value else str(value.normalize())


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def export_cycle(cycle: Any) -> dict[str, Any]:
    """The organisation and one cycle's OKRs in the import format, ordered deterministically:
    units parents first then by name, people by email, objectives by unit then their order."""
    units = UnitIndex.from_database()
    tree = units.tree_order()
    unit_position = {node.db.pk: i for i, node in enumerate(tree) if node.db is not None}
    unit_ref = {node.db.pk: units.reference(node) for node in tree if node.db is not None}

    people = []
    memberships: dict[int, list[Membership]] = defaultdict(list)
    for membership in Membership.objects.all():
        memberships[membership.user_id].append(membership)
    for user in User.objects.order_by("email"):
        people.append(
            _without_empty(
                {
                    "email": user.email,
                    "name": user.name,
                    "time_zone": user.time_zone,
                    "org_admin": True if user.is_superuser else None,
                    "memberships": [
                        {"unit": unit_ref[m.unit_id], "role": m.role}
                        for m in sorted(
                            memberships[user.pk], key=lambda m: unit_position[m.unit_id]
                        )
                    ],
                }
            )
        )

    objectives = sorted(
        Objective.objects.filter(cycle=cycle)
        .select_related("owner")
        .prefetch_related("key_results__metric", "key_results__owner", "dependencies"),
        key=lambda o: (unit_position[o.unit_id], o.order, o.pk),
    )
    titles: dict[tuple[int, str], list[Objective]] = defaultdict(list)
    for objective in objectives:
        titles[(objective.unit_id, objective.title)].append(objective)
    # Only objectives whose unit and title do not name them alone need a ref.
    refs: dict[int, str] = {}
    for group in titles.values():
        if len(group) > 1:
            for n, objective in enumerate(group, start=1):
                base = slugify(f"{unit_ref[objective.unit_id]} {objective.title}") or "objective"
                ref = f"{base}-{n}"
                while ref in refs.values():
                    ref += "-x"
                refs[objective.pk] = ref
    position = {o.pk: i for i, o in enumerate(objectives)}
    links: dict[int, list[AlignmentLink]] = defaultdict(list)
    for link in AlignmentLink.objects.filter(child__cycle=cycle):
        links[link.child_id].append(link)
    by_pk = {o.pk: o for o in objectives}

    def target(pk: int) -> dict[str, Any]:
        if pk in refs:
            return {"ref": refs[pk]}
        return {"unit": unit_ref[by_pk[pk].unit_id], "title": by_pk[pk].title}

    exported = []
    for objective in objectives:
        exported.append(
            _without_empty(
                {
                    "ref": refs.get(objective.pk),
                    "unit": unit_ref[objective.unit_id],
                    "title": objective.title,
                    "description": objective.description,
                    "kind": objective.kind,
                    "status": objective.status,
                    "owner": objective.owner.email if objective.owner else None,
                    "aligns_to": [
                        _without_empty(
                            {
                                **target(link.parent_id),
                                "how": link.how,
                                "expected_contribution": link.expected_contribution,
                            }
                        )
                        for link in sorted(
                            links[objective.pk], key=lambda lk: position[lk.parent_id]
                        )
                    ],
                    "key_results": [
                        _export_key_result(kr)
                        for kr in sorted(objective.key_results.all(), key=lambda k: (k.order, k.pk))
                    ],
                    "dependencies": [
                        _without_empty(
                            {
                                "unit": unit_ref[d.provider_id],
                                "description": d.description,
                                "status": d.status,
                                "response": d.response,
                            }
                        )
                        for d in sorted(
                            objective.dependencies.all(),
                            key=lambda d: (unit_position[d.provider_id], d.description, d.pk),
                        )
                    ],
                }
            )
        )

    return {
        "format": FORMAT,
        "version": VERSION,
        "units": [
            _without_empty(
                {
                    "name": node.name,
                    "kind": node.kind,
                    "parent": unit_ref[node.parent.db.pk]
                    if node.parent and node.parent.db
                    else None,
                    "description": node.db.description if node.db else "",
                }
            )
            for node in tree
        ],
        "people": people,
        "cycle": {
            "name": cycle.name,
            "starts_on": cycle.starts_on.isoformat(),
            "ends_on": cycle.ends_on.isoformat(),
            "setting_opens_on": cycle.setting_opens_on.isoformat(),
            "scoring_opens_on": cycle.scoring_opens_on.isoformat(),
            "phase": cycle.phase,
        },
        "objectives": exported,
    }


def _export_key_result(kr: KeyResult) -> dict[str, Any]:
    metric = None
    if kr.metric is not None:
        metric = _without_empty(
            {
                "name": kr.metric.name,
                "unit": kr.metric.unit,
                "definition": kr.metric.definition,
                "source": kr.metric.source,
            }
        )
    baseline = _without_empty(
        {
            "value": _number(kr.baseline_value),
            "measured_on": kr.baseline_measured_on.isoformat() if kr.baseline_measured_on else None,
            "source": kr.baseline_source,
        }
    )
    return _without_empty(
        {
            "statement": kr.statement,
            "metric": metric,
            "unit": kr.unit,
            "direction": kr.direction,
            "baseline": baseline,
            "target": _number(kr.target),
            "owner": kr.owner.email if kr.owner else None,
            "measurement_ends_on": kr.measurement_ends_on.isoformat()
            if kr.measurement_ends_on
            else None,
            "current_value": _number(kr.current_value),
            "confidence": kr.confidence,
            "score": _number(kr.score),
        }
    )


def _date_from_setting(kr: KeyResult, objective: Objective) -> None:
    """An imported key result was set with its cycle, not on the day of the import: date it
    from the setting window, so that one never checked in is due from the cycle's first due
    date (cycles' cadence maths counts from a key result's creation) rather than escaping
    the stale flag until the next one."""
    cycle = objective.cycle
    opened = datetime.combine(cycle.setting_opens_on, time.min, tzinfo=UTC)
    if opened < kr.created_at:
        KeyResult.objects.filter(pk=kr.pk).update(created_at=opened)
        kr.created_at = opened


def dumps(data: dict[str, Any]) -> str:
    """The exported document as text: indent 2, UTF-8 as is, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
