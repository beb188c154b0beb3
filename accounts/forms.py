from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse

from accounts.models import Membership, OrgUnit, User, normalize_email
from accounts.services import absolute_url, email_queue


def time_zone_choices() -> list[tuple[str, str]]:
    return [
        (z, z.replace("_", " "))
        for z in sorted(zoneinfo.available_timezones())
        if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    ] + [("UTC", "UTC")]


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check both and try "
        "again.",
    }

    def clean_username(self) -> str:
        return normalize_email(self.cleaned_data["username"])


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the email sent through the outbox like every other email."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        user = context["user"]
        email_queue(
            key=f"password-reset:{user.pk}:{context['token']}",
            to=to_email,
            user=user,
            template="password_reset",
            context={
                **context,
                "url": absolute_url(
                    reverse(
                        "accounts:password-reset-confirm",
                        kwargs={"uidb64": context["uid"], "token": context["token"]},
                    )
                ),
            },
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    name = forms.CharField(
        max_length=150, required=False, help_text="Optional: they can change it when they accept."
    )
    unit = forms.ModelChoiceField(
        queryset=OrgUnit.objects.order_by("kind", "name"), empty_label="Choose a unit"
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, name=data.get("name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices, help_text="Reminders arrive at your team's hour in this zone."
    )

    class Meta:
        model = User
        fields = ["name", "time_zone"]
