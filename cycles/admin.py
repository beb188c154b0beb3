from django.contrib import admin, messages

from cycles import services
from cycles.models import (
    Cadence,
    CheckIn,
    CheckInSchedule,
    Cycle,
    PhaseChange,
    Reminder,
    ReminderSettings,
    RetroAction,
    RetroMark,
    Retrospective,
    Score,
)


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    """Dates here; phases move through the services (logged, and a hold respected) from the
    actions below or the Cycles page (/cycles/), never by editing the field."""

    list_display = [
        "name",
        "phase",
        "phase_held",
        "setting_opens_on",
        "starts_on",
        "scoring_opens_on",
        "ends_on",
        "retro_opens_on",
        "closes_on",
    ]
    list_filter = ["phase", "phase_held"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"
    readonly_fields = ["phase", "phase_held"]
    actions = ["advance_phase", "release_hold"]

    def get_changeform_initial_data(self, request) -> dict:
        """A new cycle starts as the quarter after the latest, with its windows filled in
        (the same defaults as "Create the next cycle" on /cycles/)."""
        return {**services.next_cycle_defaults(), **super().get_changeform_initial_data(request)}

    @admin.action(description="Advance to the next phase")
    def advance_phase(self, request, queryset) -> None:
        for cycle in queryset:
            if cycle.next_phase is None:
                continue
            services.cycle_set_phase(cycle=cycle, phase=cycle.next_phase, by=request.user)
            messages.success(request, f"{cycle} moved to {cycle.next_phase}.")

    @admin.action(description="Release the hold (follow the dates again)")
    def release_hold(self, request, queryset) -> None:
        for cycle in queryset.filter(phase_held=True):
            services.cycle_release_hold(cycle=cycle, by=request.user)
            messages.success(request, f"{cycle} follows its dates again.")


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = ["unit", "frequency", "weekday", "hour", "updated_by", "updated_at"]
    list_select_related = ["unit", "updated_by"]
    readonly_fields = ["updated_by", "updated_at"]


class ReadOnly(admin.ModelAdmin):
    """History and derived data: visible to org admins, changed only by the services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CheckIn)
class CheckInAdmin(ReadOnly):
    list_display = ["key_result", "created_at", "confidence", "value", "author", "via"]
    list_select_related = ["key_result", "author"]
    list_filter = ["via"]
    search_fields = ["key_result__statement", "author__email"]
    date_hierarchy = "created_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnly):
    list_display = ["user", "due_on", "due_at", "window_ends_at", "email"]
    list_select_related = ["user", "email"]
    search_fields = ["user__email"]
    date_hierarchy = "due_on"


@admin.register(CheckInSchedule)
class CheckInScheduleAdmin(ReadOnly):
    list_display = ["key_result", "due_at", "remind_at", "updated_at"]
    list_select_related = ["key_result"]


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "state", "paused_until", "updated_at"]
    list_select_related = ["user"]
    list_filter = ["state"]


@admin.register(PhaseChange)
class PhaseChangeAdmin(ReadOnly):
    list_display = ["cycle", "from_phase", "to_phase", "held", "by", "at"]
    list_select_related = ["cycle", "by"]
    list_filter = ["to_phase", "held"]


@admin.register(Score)
class ScoreAdmin(ReadOnly):
    """Scores change through the scoring page (the service keeps KeyResult.score with them)."""

    list_display = ["key_result", "score", "suggested", "reason", "scored_by", "scored_at"]
    list_select_related = ["key_result", "scored_by"]
    list_filter = ["reason"]
    search_fields = ["key_result__statement"]


class RetroMarkInline(admin.TabularInline):
    model = RetroMark
    extra = 0
    raw_id_fields = ["key_result"]


class RetroActionInline(admin.TabularInline):
    model = RetroAction
    extra = 0
    raw_id_fields = ["owner", "created_by"]


@admin.register(Retrospective)
class RetrospectiveAdmin(admin.ModelAdmin):
    list_display = ["unit", "cycle", "done_at", "updated_at"]
    list_select_related = ["unit", "cycle"]
    list_filter = ["cycle"]
    inlines = [RetroMarkInline, RetroActionInline]
    raw_id_fields = ["updated_by"]
