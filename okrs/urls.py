from django.urls import path

from okrs import views

app_name = "okrs"

urlpatterns = [
    # The organisation and its units
    path("units/", views.unit_list, name="unit-list"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    # Objectives
    path("objectives/<int:pk>/", views.objective_detail, name="objective-detail"),
]
