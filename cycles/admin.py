from django.contrib import admin

from cycles.models import Cadence, CheckIn, CheckInSchedule, Cycle, Reminder, ReminderSettings


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "phase", "setting_opens_on", "starts_on", "scoring_opens_on", "ends_on"]
    list_filter = ["phase"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"


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
