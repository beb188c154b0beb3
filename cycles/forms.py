"""Forms for check-ins, cadences and reminder settings.

Every message names the problem and the way out, next to the field, and the form keeps what
was typed. The services validate again: these forms only say it earlier and more precisely.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import OrgUnit
from cycles.models import Cadence, CheckIn, ReminderSettings

TEXT_LIMIT = CheckIn.TEXT_LIMIT
TOO_LONG = (
    "Keep it to %(limit_value)s characters or fewer (this has %(show_value)s): "
    "the essentials, not the whole story."
)


class ValueField(forms.DecimalField):
    """A measured value. A comma is refused rather than guessed at: "1,5" is one and a half in
    Oslo and fifteen (or 1,500) in Los Angeles, and a wrong guess silently corrupts the
    history. The message says exactly what to type instead."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            text = value.strip()
            if "," in text:
                left, _, right = text.partition(",")
                if left.lstrip("-").isdigit() and right.isdigit() and len(right) == 3:
                    message = (
                        f"Is that {left}{right} or {left}.{right}? Write it with a dot for "
                        "decimals and no thousands separators."
                    )
                elif left.lstrip("-").isdigit() and right.isdigit():
                    message = f"Use a dot for decimals: {left}.{right}."
                else:
                    message = "Use a dot for decimals and no thousands separators, like 1500.5."
                raise ValidationError(message, code="comma")
            if any(ch.isspace() for ch in text) or "_" in text:
                raise ValidationError("Write the number without spaces, like 1500 or 0.25.")
        return super().to_python(value)


def unit_choices(units: list[tuple[int, str, str | None]]) -> list[tuple[str, str]]:
    """(id, name, parent name) rows -> choices "Search (Engineering)", in name order."""
    choices = [("", "No one in particular")]
    for pk, name, parent in sorted(units, key=lambda u: (u[1].lower(), u[0])):
        choices.append((str(pk), f"{name} ({parent})" if parent else name))
    return choices


def load_unit_choices() -> list[tuple[str, str]]:
    """One query, shared by every check-in form on a page."""
    return unit_choices(list(OrgUnit.objects.order_by().values_list("id", "name", "parent__name")))


class CheckInForm(forms.Form):
    """Confidence first (the conversation the check-in is about), then the value, what changed
    and what blocks. Prefixed per key result, so a page holds many."""

    confidence = forms.IntegerField(
        label="Confidence",
        min_value=0,
        max_value=100,
        help_text="0–100: how likely is the target by the quarter's end?",
        error_messages={
            "required": "Give your confidence, from 0 to 100.",
            "invalid": "Confidence is a whole number from 0 to 100.",
            "min_value": "Confidence is a whole number from 0 to 100; 0 is the lowest.",
            "max_value": "Confidence is a whole number from 0 to 100; 100 is the highest.",
        },
        widget=forms.NumberInput(
            attrs={
                "inputmode": "numeric",
                "step": "5",
                "autocomplete": "off",
                "class": "input-short",
            }
        ),
    )
    value = ValueField(
        label="Value now",
        max_digits=18,
        decimal_places=4,
        error_messages={
            "required": "Give the value measured now (keep the last one if it has not moved).",
            "invalid": "Enter a number, like 12 or 0.25.",
            "max_digits": "That number is too long: at most 18 digits.",
            "max_decimal_places": "At most 4 digits after the dot.",
        },
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "input-short"}
        ),
    )
    what_changed = forms.CharField(
        label="What changed",
        required=False,
        max_length=TEXT_LIMIT,
        help_text="Needed when your confidence moves.",
        error_messages={"max_length": TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    blocker = forms.CharField(
        label="What blocks it",
        required=False,
        max_length=TEXT_LIMIT,
        help_text="Optional. Leave empty when nothing does.",
        error_messages={"max_length": TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    blocker_unit = forms.ChoiceField(label="Who could unblock it", required=False)

    def __init__(
        self,
        *args: Any,
        previous_confidence: int | None,
        units: list[tuple[str, str]],
        correcting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.previous_confidence = previous_confidence
        self.correcting = correcting
        self.fields["blocker_unit"].choices = units
        self._unit_ids = {pk for pk, _ in units if pk}
        if correcting:
            self.fields["what_changed"].label = "What was wrong"
            self.fields["what_changed"].help_text = "Required: what this correction fixes."
        # Confidence and value first: a check-in whose numbers have not moved is two fields
        # and Enter. The browser's own number checks stay off (novalidate on the form), so the
        # messages come from here and keep what was typed.

    def clean_blocker_unit(self) -> int | None:
        raw = self.cleaned_data.get("blocker_unit") or ""
        if not raw:
            return None
        if raw not in self._unit_ids:
            raise ValidationError("Choose a unit from the list.")
        return int(raw)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        confidence = data.get("confidence")
        what_changed = (data.get("what_changed") or "").strip()
        if self.correcting:
            if not what_changed and "what_changed" not in self.errors:
                self.add_error("what_changed", "Say what was wrong in the check-in you correct.")
        elif (
            confidence is not None
            and self.previous_confidence is not None
            and confidence != self.previous_confidence
            and not what_changed
            and "what_changed" not in self.errors
        ):
            self.add_error(
                "what_changed",
                f"Your confidence moved from {self.previous_confidence} to {confidence}: "
                "say what changed.",
            )
        if (
            data.get("blocker_unit")
            and not (data.get("blocker") or "").strip()
            and "blocker" not in self.errors
        ):
            self.add_error("blocker", "Say what blocks it before naming who could unblock it.")
        return data


class CadenceForm(forms.Form):
    INHERIT = "inherit"
    OWN = "own"

    source = forms.ChoiceField(
        label="This unit's cadence",
        choices=[(INHERIT, "Inherit from the unit above"), (OWN, "Its own")],
        widget=forms.RadioSelect,
    )
    frequency = forms.ChoiceField(label="How often", choices=Cadence.Frequency.choices)
    weekday = forms.TypedChoiceField(
        label="On", choices=Cadence.Weekday.choices, coerce=int, empty_value=0
    )
    hour = forms.TypedChoiceField(
        label="At",
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
        empty_value=9,
        help_text="Each person's own local time.",
    )

    def __init__(self, *args: Any, has_parent: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_parent:
            self.fields["source"].choices = [
                (self.INHERIT, "The organisation's default (every other Monday at 09:00)"),
                (self.OWN, "Its own"),
            ]


class ReminderSettingsForm(forms.Form):
    state = forms.ChoiceField(
        label="Check-in reminders",
        choices=[
            (ReminderSettings.State.ON, "On: one email when check-ins are due"),
            (ReminderSettings.State.PAUSED, "Paused until a date"),
            (ReminderSettings.State.OFF, "Off"),
        ],
        widget=forms.RadioSelect,
    )
    paused_until = forms.DateField(
        label="Paused until",
        required=False,
        help_text="Reminders start again the day after.",
        error_messages={"invalid": "Enter a date like 2026-12-24."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("state") == ReminderSettings.State.PAUSED and "paused_until" not in self.errors:
            until = data.get("paused_until")
            if until is None:
                self.add_error("paused_until", "Choose the date the pause ends.")
            elif until < self.today:
                self.add_error("paused_until", "Choose a date from today on.")
        return data
