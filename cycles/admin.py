from django.contrib import admin

from cycles.models import Cycle


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "phase", "setting_opens_on", "starts_on", "scoring_opens_on", "ends_on"]
    list_filter = ["phase"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"
