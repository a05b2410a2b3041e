from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # The language switch and the favicon work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    ),
    path("", include("objects_app.urls")),
]

handler400 = "objects_app.views.errors.bad_request"
handler403 = "objects_app.views.errors.permission_denied"
handler404 = "objects_app.views.errors.page_not_found"
handler500 = "objects_app.views.errors.server_error"
