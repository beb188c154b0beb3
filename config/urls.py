from django.contrib import admin
from django.urls import include, path

from config import views
from okrs import views as okrs_views

urlpatterns = [
    path("", okrs_views.home, name="home"),
    path("", include("okrs.urls")),
    path("", include("cycles.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links.
    path("favicon.ico", views.favicon),
    # Development mailbox: 404 unless DEBUG is on and mail goes to the local mailbox.
    path("mailbox/", views.mailbox_list, name="mailbox-list"),
    path("mailbox/<str:name>/", views.mailbox_detail, name="mailbox-detail"),
    path("mailbox/<str:name>/html", views.mailbox_html, name="mailbox-html"),
]

handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
