from django.urls import path

from cycles import closing_views, views

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
    # Scoring: a unit's page per cycle (?cycle=), a key result's score
    path("units/<int:pk>/scoring/", closing_views.unit_scoring, name="unit-scoring"),
    path(
        "units/<int:pk>/scoring/accept-all/",
        closing_views.unit_scoring_accept_all,
        name="unit-scoring-accept-all",
    ),
    path("key-results/<int:pk>/score/", closing_views.key_result_score, name="key-result-score"),
    # The retrospective: a unit's page per cycle (?cycle=), its actions
    path("units/<int:pk>/retro/", closing_views.unit_retro, name="unit-retro"),
    path("units/<int:pk>/retro/done/", closing_views.unit_retro_done, name="unit-retro-done"),
    path(
        "units/<int:pk>/retro/actions/",
        closing_views.retro_action_create,
        name="retro-action-create",
    ),
    path("retro-actions/<int:pk>/", closing_views.retro_action_update, name="retro-action-update"),
    path(
        "retro-actions/<int:pk>/delete/",
        closing_views.retro_action_delete,
        name="retro-action-delete",
    ),
    # Calibration across cycles: a unit's, the organisation's
    path("units/<int:pk>/calibration/", closing_views.unit_calibration, name="unit-calibration"),
    path("calibration/", closing_views.calibration, name="calibration"),
    # Cycles and phases (org admins)
    path("cycles/", closing_views.cycle_list, name="cycle-list"),
    path("cycles/next/", closing_views.cycle_create_next, name="cycle-create-next"),
    path("cycles/<int:pk>/phase/", closing_views.cycle_phase, name="cycle-phase"),
    path("cycles/<int:pk>/release/", closing_views.cycle_release, name="cycle-release"),
]
