"""Sign-in, password reset, invitations and the profile page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import (
    AcceptInvitationForm,
    InvitationForm,
    OutboxPasswordResetForm,
    ProfileForm,
    SignInForm,
)
from accounts.http import AuthedRequest
from accounts.models import Invitation


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


@require_http_methods(["GET", "POST"])
def invitation_create(request: AuthedRequest) -> HttpResponse:
    """Org admins invite a person into a unit with a role."""
    if not request.user.has_perm("accounts.invite"):
        raise PermissionDenied("Only org admins invite people.")
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.invitation_create(by=request.user, **form.cleaned_data)
        if result.added_existing_user:
            messages.success(
                request,
                f"{form.cleaned_data['email']} already had an account: "
                f"they are now in {form.cleaned_data['unit']}.",
            )
        else:
            messages.success(
                request,
                f"Invitation sent to {form.cleaned_data['email']}. "
                "The link works once, for 7 days.",
            )
        return redirect("accounts:invitation-create")
    pending = Invitation.objects.usable().select_related("unit", "invited_by")[:50]
    return render(request, "accounts/invitation_create.html", {"form": form, "pending": pending})


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: AuthedRequest, token: str) -> HttpResponse:
    """The invitation link: choose a name and password, then you are signed in."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=410)
    form = AcceptInvitationForm(
        request.POST or None, email=invitation.email, initial={"name": invitation.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="accounts.backends.PasswordBackend")
            messages.success(request, f"Welcome to Quarterdeck, {user.get_short_name()}.")
            return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your settings are saved.")
        return redirect("accounts:profile")
    memberships = request.user.memberships.select_related("unit").order_by("unit__name")
    return render(request, "accounts/profile.html", {"form": form, "memberships": memberships})
