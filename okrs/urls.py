from django.urls import path

from okrs import tree_views, views

app_name = "okrs"

urlpatterns = [
    # The organisation and its units
    path("units/", views.unit_list, name="unit-list"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    # Objectives
    path("objectives/<int:pk>/", views.objective_detail, name="objective-detail"),
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
