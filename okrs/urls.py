from django.urls import path

from okrs import setting_views, tree_views, views

app_name = "okrs"

urlpatterns = [
    # The organisation and its units
    path("units/", views.unit_list, name="unit-list"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    # Setting: a unit's page for a cycle (?cycle=), and what changes it
    path("units/<int:pk>/setting/", setting_views.unit_setting, name="unit-setting"),
    path(
        "units/<int:pk>/setting/objectives/",
        setting_views.objective_create,
        name="objective-create",
    ),
    path("units/<int:pk>/setting/focus/", setting_views.focus_reason, name="focus-reason"),
    # Objectives
    path("objectives/<int:pk>/", views.objective_detail, name="objective-detail"),
    path("objectives/<int:pk>/card/", setting_views.objective_card, name="objective-card"),
    path("objectives/<int:pk>/edit/", setting_views.objective_edit, name="objective-edit"),
    path("objectives/<int:pk>/delete/", setting_views.objective_delete, name="objective-delete"),
    path("objectives/<int:pk>/move/", setting_views.objective_reorder, name="objective-reorder"),
    path("objectives/<int:pk>/propose/", setting_views.objective_propose, name="objective-propose"),
    path("objectives/<int:pk>/agree/", setting_views.objective_agree, name="objective-agree"),
    path(
        "objectives/<int:pk>/send-back/",
        setting_views.objective_send_back,
        name="objective-send-back",
    ),
    path(
        "objectives/<int:pk>/comments/",
        setting_views.objective_comment_add,
        name="objective-comment-add",
    ),
    path(
        "objectives/<int:pk>/carry-forward/",
        setting_views.objective_carry_forward,
        name="objective-carry-forward",
    ),
    path(
        "objectives/<int:pk>/alignment/",
        setting_views.alignment_link_create,
        name="alignment-link-create",
    ),
    path(
        "objectives/<int:pk>/dependencies/",
        setting_views.dependency_create,
        name="dependency-create",
    ),
    # Key results
    path(
        "objectives/<int:pk>/key-results/new/",
        setting_views.key_result_create,
        name="key-result-create",
    ),
    path(
        "objectives/<int:pk>/key-results/check/",
        setting_views.key_result_check,
        name="key-result-check",
    ),
    path(
        "objectives/<int:pk>/key-results/metric/",
        setting_views.key_result_metric,
        name="key-result-metric",
    ),
    # The key result page itself, /key-results/<pk>/, is cycles' (history, chart, check-in).
    path("key-results/<int:pk>/row/", setting_views.key_result_row, name="key-result-row"),
    path("key-results/<int:pk>/edit/", setting_views.key_result_edit, name="key-result-edit"),
    path("key-results/<int:pk>/delete/", setting_views.key_result_delete, name="key-result-delete"),
    path("key-results/<int:pk>/move/", setting_views.key_result_move, name="key-result-move"),
    path(
        "key-results/<int:pk>/reorder/",
        setting_views.key_result_reorder,
        name="key-result-reorder",
    ),
    # Alignment and dependencies
    path(
        "alignment-links/<int:pk>/delete/",
        setting_views.alignment_link_delete,
        name="alignment-link-delete",
    ),
    path(
        "dependencies/<int:pk>/answer/",
        setting_views.dependency_answer,
        name="dependency-answer",
    ),
    path(
        "objectives/<int:pk>/sufficiency/",
        tree_views.objective_sufficiency,
        name="objective-sufficiency",
    ),
    # Leadership's alignment tree, its fragments and its map
    path("alignment/", tree_views.tree_page, name="tree"),
    path("alignment/unaligned/", tree_views.tree_unaligned, name="tree-unaligned"),
    path("alignment/objectives/<int:pk>/", tree_views.tree_children, name="tree-children"),
    path("alignment/units/<int:pk>/", tree_views.tree_unit, name="tree-unit"),
    path("alignment/objectives/<int:pk>/map.svg", tree_views.tree_map_svg, name="tree-map-svg"),
]
