from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, OrgUnit, OutgoingEmail, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["name", "email"]
    list_display = ["email", "name", "time_zone", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_superuser", "is_active", "memberships__role", "memberships__unit__kind"]
    search_fields = ["email", "name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "name", "time_zone", "password"]}),
        (
            "Rights",
            {
                "fields": ["is_active", "is_staff", "is_superuser"],
                "description": "Org admins are staff and superusers.",
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "name", "time_zone", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = []


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__email", "user__name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "unit", "role", "invited_by", "created_at", "expires_at", "status"]
    list_filter = ["role", "unit__kind", "accepted_at", "revoked_at"]
    search_fields = ["email", "name", "unit__name"]
    readonly_fields = ["token_hash", "invited_by", "created_at", "accepted_at", "revoked_at"]
    list_select_related = ["unit", "invited_by"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations are sent from the invitation page, which emails the link

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        count = queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.message_user(request, f"Revoked {count} invitation(s).")


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    date_hierarchy = "created_at"
    actions = ["requeue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected failed emails again")
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        count = queryset.filter(state=OutgoingEmail.State.FAILED).update(
            state=OutgoingEmail.State.QUEUED,
            next_attempt_at=timezone.now() - timezone.timedelta(minutes=5),
            attempts=0,
        )
        services.outbox_sweep()
        self.message_user(request, f"Queued {count} email(s) again.", messages.SUCCESS)
