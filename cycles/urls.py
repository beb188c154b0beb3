from django.urls import path  # noqa: F401  (routes arrive with check-ins, scoring, retros)

app_name = "cycles"

urlpatterns: list = []
