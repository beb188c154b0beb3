from django import forms
from django.contrib import admin

from okrs import services
from okrs.models import (
    AlignmentLink,
    Dependency,
    FocusReason,
    KeyResult,
    Metric,
    Objective,
    ObjectiveChange,
    ObjectiveComment,
)


class AlignmentLinkForm(forms.ModelForm):
    """Refuses links across cycles, to itself, or in a loop, as the setting page does."""

    class Meta:
        model = AlignmentLink
        fields = ["child", "parent", "how", "expected_contribution"]

    def clean(self) -> dict:
        data = super().clean()
        child = data.get("child") or getattr(self.instance, "child", None)
        parent = data.get("parent")
        if child is not None and child.pk and parent is not None and not self.instance.pk:
            services.alignment_link_validate(child=child, parent=parent)
        return data


class KeyResultInline(admin.StackedInline):
    model = KeyResult
    extra = 0
    autocomplete_fields = ["owner", "metric"]
    fields = [
        "statement",
        ("metric", "unit", "direction"),
        ("baseline_value", "baseline_measured_on", "baseline_source"),
        ("target", "measurement_ends_on"),
        ("owner", "order"),
    ]


class LinkUpInline(admin.TabularInline):
    model = AlignmentLink
    fk_name = "child"
    form = AlignmentLinkForm
    extra = 0
    autocomplete_fields = ["parent"]
    fields = ["parent", "how", "expected_contribution"]
    verbose_name = "contributes to"
    verbose_name_plural = "contributes to"


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "last_value", "last_measured_on"]
    search_fields = ["name", "definition", "source"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "cycle", "kind", "status", "owner"]
    list_filter = ["cycle", "kind", "status", "unit__kind"]
    search_fields = ["title", "description", "unit__name"]
    autocomplete_fields = ["unit", "owner", "carried_from"]
    list_select_related = ["unit", "cycle", "owner"]
    inlines = [KeyResultInline, LinkUpInline]
    readonly_fields = ["version"]


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
    list_display = [
        "statement",
        "objective",
        "owner",
        "baseline_value",
        "target",
        "current_value",
        "confidence",
    ]
    list_filter = ["objective__cycle", "direction", "objective__unit__kind"]
    search_fields = ["statement", "objective__title", "owner__email", "owner__name"]
    autocomplete_fields = ["objective", "owner", "metric"]
    list_select_related = ["objective", "owner"]
    readonly_fields = ["current_value", "confidence", "checked_in_at", "version"]


@admin.register(AlignmentLink)
class AlignmentLinkAdmin(admin.ModelAdmin):
    list_display = ["child", "parent", "expected_contribution"]
    list_filter = ["child__cycle"]
    search_fields = ["child__title", "parent__title", "how"]
    autocomplete_fields = ["child", "parent"]
    list_select_related = ["child", "parent"]
    form = AlignmentLinkForm


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ["objective", "provider", "status", "created_at"]
    list_filter = ["status", "objective__cycle"]
    search_fields = ["objective__title", "provider__name", "description"]
    autocomplete_fields = ["objective", "provider"]
    list_select_related = ["objective", "provider"]


@admin.register(ObjectiveComment)
class ObjectiveCommentAdmin(admin.ModelAdmin):
    list_display = ["objective", "kind", "author", "created_at"]
    list_filter = ["kind", "objective__cycle"]
    search_fields = ["objective__title", "body", "author__email"]
    autocomplete_fields = ["objective", "author"]
    list_select_related = ["objective", "author"]


@admin.register(ObjectiveChange)
class ObjectiveChangeAdmin(admin.ModelAdmin):
    """The history of locked objectives is a record: readable here, never edited."""

    list_display = ["objective", "action", "subject", "by", "created_at"]
    list_filter = ["action", "objective__cycle"]
    search_fields = ["objective__title", "subject", "reason"]
    list_select_related = ["objective", "by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FocusReason)
class FocusReasonAdmin(admin.ModelAdmin):
    list_display = ["unit", "cycle", "updated_by", "updated_at"]
    list_filter = ["cycle"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit", "cycle", "updated_by"]
