from django.urls import path

from cycles import views

app_name = "cycles"

urlpatterns = [
    # Checking in
    path("check-ins/", views.my_key_results, name="my-key-results"),
    path("key-results/<int:pk>/", views.key_result_detail, name="key-result-detail"),
    path("key-results/<int:pk>/check-in/", views.check_in_create, name="check-in-create"),
    path("check-ins/<int:pk>/correct/", views.check_in_correct, name="check-in-correct"),
    # A unit's check-ins and cadence
    path("units/<int:pk>/check-ins/", views.unit_check_ins, name="unit-check-ins"),
    path("units/<int:pk>/cadence/", views.unit_cadence, name="unit-cadence"),
    # Reminders: the person's settings, one-click unsubscribe, the email's signed link
    path("reminders/", views.reminder_settings, name="reminder-settings"),
    path("reminders/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("check-in/<str:token>/", views.reminder_link, name="reminder-link"),
    path(
        "check-in/<str:token>/key-results/<int:pk>/",
        views.reminder_link_check_in,
        name="reminder-link-check-in",
    ),
]
