"""The sufficiency answer a parent objective's owner gives (shown on the objective's page and
in the alignment tree)."""

from __future__ import annotations

from typing import Any

from django import forms

from okrs.models import Objective

QUESTION = (
    "If everything that contributes to this objective were achieved, would its key results "
    "reach their targets?"
)


class SufficiencyForm(forms.Form):
    answer = forms.ChoiceField(
        label=QUESTION,
        choices=Objective.Sufficiency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes, partly or no."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For “partly” or “no”: what would still be missing, and who could cover it.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The service says the same; saying it here keeps what was typed on the form.
        if data.get("answer") in ("partly", "no") and not (data.get("note") or "").strip():
            self.add_error("note", "Say what would still be missing.")
        return data
