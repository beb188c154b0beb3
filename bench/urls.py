"""The site's URLs plus the floors bench/tree.py measures against, behind the same
middleware (sign-in included)."""

from django.urls import path

from bench import floors
from config.urls import urlpatterns as site

urlpatterns = [
    path("bench/hello/", floors.hello),
    path("bench/floor/tree/", floors.first_paint),
    path("bench/floor/tree-reads/", floors.first_paint_reads),
    path("bench/floor/children/<int:pk>/", floors.children),
    path("bench/floor/map/<int:pk>/", floors.alignment_map),
    *site,
]
