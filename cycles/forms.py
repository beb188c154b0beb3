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
from cycles.models import Cadence, CheckIn, Cycle, ReminderSettings, RetroMark, Score
from cycles.scoring import SCORES

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
        # ISO, as <input type="date"> requires: the site's en-gb format would leave it empty.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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


# Scoring, retrospectives, cycles -------------------------------------------------------------

SCORE_CHOICES = [("", "Choose…")] + [(f"{s:.1f}", f"{s:.1f}") for s in SCORES]


class ScoreForm(forms.Form):
    """A score other than the suggestion, with its reason. Prefixed per key result."""

    score = forms.ChoiceField(
        label="Score",
        choices=SCORE_CHOICES,
        error_messages={"required": "Choose a score from 0.0 to 1.0."},
    )
    reason = forms.ChoiceField(
        label="Why it differs from the suggestion",
        required=False,
        choices=[("", "Choose a reason…"), *Score.Reason.choices],
    )
    reason_text = forms.CharField(
        label="In a few words",
        required=False,
        max_length=300,
        error_messages={"max_length": TOO_LONG},
        help_text="Shown beside the score wherever it appears.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, suggested: Decimal | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggested = suggested
        if suggested is None:
            self.fields["reason"].label = "Reason (optional)"
            self.fields["reason_text"].help_text = (
                "Nothing could be suggested, so this is your judgement: a few words help the "
                "retrospective."
            )

    def clean_score(self) -> Decimal:
        return Decimal(self.cleaned_data["score"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        score, reason = data.get("score"), data.get("reason")
        overridden = self.suggested is not None and score is not None and score != self.suggested
        if overridden and not reason and "reason" not in self.errors:
            self.add_error(
                "reason", f"Say why the score differs from the suggested {self.suggested:.1f}."
            )
        if (
            reason == Score.Reason.OTHER
            and not (data.get("reason_text") or "").strip()
            and "reason_text" not in self.errors
        ):
            self.add_error("reason_text", "Say what the other reason is.")
        return data


RETRO_QUESTIONS = [
    ("learned", "What did we learn?", "What would you tell the team that sets these next?"),
    (
        "badly_calibrated",
        "Which key results were badly calibrated, and why?",
        "The marks below record the verdict on each; say here what made them too easy or too hard.",
    ),
    (
        "mattered_less",
        "Which objectives mattered less than we thought?",
        "And which mattered more.",
    ),
    ("wrong_assumptions", "Which working assumptions were wrong?", ""),
]


class RetroForm(forms.Form):
    """The retrospective's questions and, per key result, its calibration mark, whether its
    number moved while its objective did not, and a note for the next key result on its
    metric."""

    def __init__(self, *args: Any, key_results: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, help_text in RETRO_QUESTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=4000,
                help_text=help_text,
                error_messages={"max_length": TOO_LONG},
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.kr_ids = [kr.pk for kr in key_results]
        for kr in key_results:
            self.fields[f"cal_{kr.pk}"] = forms.ChoiceField(
                label="Calibration",
                required=False,
                choices=RetroMark.Calibration.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"moved_{kr.pk}"] = forms.BooleanField(
                label="The number moved, but the objective did not", required=False
            )
            metric = f" on {kr.metric.name}" if kr.metric_id and kr.metric else ""
            self.fields[f"note_{kr.pk}"] = forms.CharField(
                label="Note for next time",
                required=False,
                max_length=1000,
                error_messages={"max_length": TOO_LONG},
                help_text=f"Shown when the next key result{metric} is drafted." if metric else "",
                widget=forms.Textarea(attrs={"rows": 1}),
            )

    def marks(self) -> dict[int, Any]:
        from cycles.services import MarkInput

        data = self.cleaned_data
        return {
            pk: MarkInput(
                calibration=data.get(f"cal_{pk}") or "",
                moved_not_objective=bool(data.get(f"moved_{pk}")),
                note=data.get(f"note_{pk}") or "",
            )
            for pk in self.kr_ids
        }

    def answers(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name, _, _ in RETRO_QUESTIONS}


class RetroActionForm(forms.Form):
    text = forms.CharField(
        label="Action",
        max_length=300,
        error_messages={
            "required": "Say what the team will do differently.",
            "max_length": TOO_LONG,
        },
        help_text="Shown on the unit's setting page next quarter.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=None,
        empty_label="Choose who owns it…",
        error_messages={
            "required": "Choose who owns it.",
            "invalid_choice": "Choose someone from the list.",
        },
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label="Phase", choices=Cycle.Phase.choices)
    hold = forms.BooleanField(
        label="Hold it there",
        required=False,
        help_text="The nightly schedule will not move it on until you release it. Moving a "
        "cycle back always holds it.",
    )
