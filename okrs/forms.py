"""Forms of the setting page. They check what a person typed; the services check the rules.

Text inputs carry no `maxlength`: a browser silently cuts a pasted 5,000-character title to the
limit, losing the rest. Instead the server says how long it may be and the text stays in the
field. Numbers are text inputs (inputmode=decimal) for the same reason: a number input hands an
invalid value to the server as "", so "12 ms" would vanish instead of getting a message.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import OrgUnit, User
from okrs.models import KeyResult, Metric, Objective

NUMBER_ERROR = "Enter a number, like 42 or 0.8, without its unit (the unit has its own field)."


class SettingForm(forms.Form):
    """Shared behaviour: no maxlength attributes, and service errors land on their fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    def set_focus(self, name: str | None = None) -> None:
        """Autofocus the first field with an error, else `name`: htmx moves focus to it
        after a swap, so a keyboard user lands where the work is."""
        if self.is_bound and self.errors:
            name = next((n for n in self.fields if n in self.errors), name)
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        if name and name in self.fields:
            self.fields[name].widget.attrs["autofocus"] = True

    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the matching field, or above the form."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


def _plain(value: Decimal | None) -> str | None:
    from okrs.templatetags.okrs import number

    return None if value is None else number(value)


def _number_field(label: str, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=18,
        decimal_places=4,
        help_text=help_text,
        localize=False,
        error_messages={"invalid": NUMBER_ERROR},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _date_field(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label="Why does it change?",
        required=False,
        help_text="Agreed, and the quarter has started: the reason is kept in the objective's "
        "history for everyone to read.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def people_choices(unit: OrgUnit, tree: Any) -> QuerySet[User]:
    """Who may own an objective or key result of this unit: the people of the unit and of
    the units within it, and the leads above it."""
    unit_ids = [unit.pk, *tree.descendants(unit.pk)]
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__unit_id__in=unit_ids)
            | Q(memberships__unit_id__in=tree.ancestors(unit.pk), memberships__role="lead")
        )
        .distinct()
        .order_by("name", "email")
    )


class ObjectiveForm(SettingForm):
    title = forms.CharField(
        label="Objective",
        max_length=200,
        error_messages={
            "max_length": "Keep it to one line: at most %(limit_value)d characters (it has "
            "%(show_value)d). The detail belongs under “Why it matters”."
        },
        help_text="Qualitative and directional: where the team wants to get, not how.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label="Why it matters",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: the problem behind it, for the people who will read it.",
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=Objective.Kind.choices,
        initial=Objective.Kind.ASPIRATIONAL,
        widget=forms.RadioSelect,
    )
    owner = forms.ModelChoiceField(
        label="Owner", queryset=User.objects.none(), required=False, empty_label="Nobody yet"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason_field()

    def __init__(
        self, *args: Any, owners: QuerySet[User], locked: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.locked = locked
        if not locked:
            del self.fields["reason"]

    def kind_options(self) -> list[tuple[Any, str]]:
        """Each radio with the one line on what the kind means for scoring."""
        return [(radio, Objective.KIND_HELP[radio.data["value"]]) for radio in self["kind"]]

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "").strip()
        if self.locked and not reason:
            raise ValidationError("Say why it changes: the quarter has started.")
        return reason

    def values(self) -> dict[str, Any]:
        """What objective_create/objective_update take."""
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "description", "kind", "owner")}


class KeyResultForm(SettingForm):
    """A key result: statement, metric (known or new), direction, baseline, target, owner,
    and an optional measurement window that ends after the quarter."""

    statement = forms.CharField(
        label="Key result",
        max_length=500,
        error_messages={
            "max_length": "Keep it to a sentence: at most %(limit_value)d characters (it has "
            "%(show_value)d). How it is counted belongs in the metric's definition."
        },
        help_text="A change in the state of the world you can measure, from a baseline to a "
        "target. Could it be achieved without the problem being solved? Then it is a task.",
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
    )
    metric = forms.ModelChoiceField(
        label="Metric",
        queryset=Metric.objects.all(),
        required=False,
        empty_label="None picked",
        help_text="Picking a metric the organisation already measures fills in its last value.",
    )
    new_metric_name = forms.CharField(label="Or name a new metric", max_length=200, required=False)
    metric_definition = forms.CharField(
        label="What exactly is counted",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    metric_source = forms.CharField(
        label="Where it is measured", max_length=300, required=False,
        help_text="A dashboard, a query, a report.",
    )  # fmt: skip
    unit = forms.CharField(
        label="Unit", max_length=40, required=False, help_text="For example %, ms, days."
    )
    direction = forms.ChoiceField(
        label="Direction",
        choices=[("", "Choose…"), *KeyResult.Direction.choices],
        error_messages={"required": "Choose whether the number should go up, down, or hold."},
    )
    baseline_value = _number_field("Baseline", "Where the metric stands now.")
    baseline_measured_on = _date_field("Measured on")
    baseline_source = forms.CharField(
        label="Source of the baseline", max_length=300, required=False
    )
    target = _number_field("Target", "Where it should be at the end of the quarter.")
    owner = forms.ModelChoiceField(
        label="Owner", queryset=User.objects.none(), required=False, empty_label="Nobody yet"
    )
    measurement_ends_on = _date_field(
        "Measured until (optional)",
        "Only for a payback that comes after the quarter ends: the key result is scored then.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason_field()

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[User],
        cycle: Any,
        locked: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.cycle = cycle
        self.locked = locked
        if not locked:
            del self.fields["reason"]

    def clean_baseline_measured_on(self) -> date | None:
        value = self.cleaned_data.get("baseline_measured_on")
        if value and value > timezone.localdate():
            raise ValidationError(
                "A baseline is a value already measured: pick today or a day before."
            )
        return value

    def clean_measurement_ends_on(self) -> date | None:
        value = self.cleaned_data.get("measurement_ends_on")
        if value and value <= self.cycle.ends_on:
            raise ValidationError(
                f"The quarter ends on {self.cycle.ends_on:%-d %b %Y}: a measurement window "
                "ends after it, or leave this empty."
            )
        return value

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "").strip()
        if self.locked and not reason:
            raise ValidationError("Say why it changes: the quarter has started.")
        return reason

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("metric") and data.get("new_metric_name", "").strip():
            self.add_error(
                "new_metric_name",
                "You picked a known metric and named a new one: keep one of them.",
            )
        return data

    def values(self, metric: Metric | None) -> dict[str, Any]:
        """What key_result_create/key_result_update take, with the metric resolved."""
        data = self.cleaned_data
        unit = data["unit"].strip() or (metric.unit if metric else "")
        return {
            "statement": data["statement"],
            "metric": metric,
            "unit": unit,
            "direction": data["direction"],
            "baseline_value": data["baseline_value"],
            "baseline_measured_on": data["baseline_measured_on"],
            "baseline_source": data["baseline_source"],
            "target": data["target"],
            "owner": data["owner"],
            "measurement_ends_on": data["measurement_ends_on"],
        }

    @staticmethod
    def initial_from(kr: KeyResult) -> dict[str, Any]:
        return {
            "statement": kr.statement,
            "metric": kr.metric_id,
            "unit": kr.unit,
            "direction": kr.direction,
            # As people write them: "0.6", not the column's "0.6000".
            "baseline_value": _plain(kr.baseline_value),
            "baseline_measured_on": kr.baseline_measured_on,
            "baseline_source": kr.baseline_source,
            "target": _plain(kr.target),
            "owner": kr.owner_id,
            "measurement_ends_on": kr.measurement_ends_on,
            "version": kr.version,
        }


class ReasonForm(SettingForm):
    """Deleting or moving: a reason only when the objective is locked."""

    reason = _reason_field()

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = locked
        if not locked:
            del self.fields["reason"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "").strip()
        if self.locked and not reason:
            raise ValidationError("Say why: the quarter has started.")
        return reason


class MoveKeyResultForm(ReasonForm):
    to = forms.ModelChoiceField(
        label="Move to objective", queryset=Objective.objects.none(), empty_label="Choose…"
    )

    def __init__(self, *args: Any, objectives: QuerySet[Objective], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = objectives  # type: ignore[attr-defined]


class CommentForm(SettingForm):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something to comment."},
    )


class StatusForm(SettingForm):
    """Propose or agree, with an optional comment for the thread."""

    comment = forms.CharField(
        label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SendBackForm(SettingForm):
    comment = forms.CharField(
        label="What should change?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what should change, so the team can act on it."},
    )


class FocusReasonForm(SettingForm):
    reason = forms.CharField(
        label="Why more than five this quarter?",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason, or drop an objective."},
    )


class AlignmentForm(SettingForm):
    parent = forms.ModelChoiceField(
        label="Contributes to", queryset=Objective.objects.none(), empty_label="Choose…"
    )
    how = forms.CharField(
        label="How it contributes",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One sentence the other team can check: which of their key results moves, "
        "and why ours moves it.",
        error_messages={"required": "Say in a sentence how it contributes."},
    )
    expected_contribution = forms.CharField(
        label="Expected contribution (optional)",
        max_length=200,
        required=False,
        help_text="In the parent's terms, for example “+3 of the 10 points”.",
    )

    def __init__(self, *args: Any, parents: QuerySet[Objective], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["parent"].label_from_instance = lambda o: f"{o.unit}: {o.title}"  # type: ignore[attr-defined]


class DependencyForm(SettingForm):
    provider = forms.ModelChoiceField(
        label="Needs something from", queryset=OrgUnit.objects.none(), empty_label="Choose…"
    )
    description = forms.CharField(
        label="What is needed, and by when",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what you need from them, and by when."},
    )

    def __init__(self, *args: Any, providers: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]


class DependencyAnswerForm(SettingForm):
    status = forms.ChoiceField(
        choices=[
            ("accepted", "Accept"),
            ("declined", "Decline"),
            ("done", "Done"),
        ],
        error_messages={"required": "Accept or decline."},
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == "declined" and not data.get("note", "").strip():
            self.add_error("note", "Say why you decline, so the team can plan around it.")
        return data


class CarryForwardForm(SettingForm):
    key_results = forms.ModelMultipleChoiceField(
        label="Key results to bring",
        queryset=KeyResult.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, source: Objective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key_results"].queryset = source.key_results.order_by("order", "pk")  # type: ignore[attr-defined]
