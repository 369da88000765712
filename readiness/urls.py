from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from readiness.converters import TokenConverter
from readiness.views import dashboard, facilities, home, questionnaire

register_converter(TokenConverter, "token")

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Staff
    path("facilities/", facilities.facility_list, name="facility-list"),
    path("facilities/new/", facilities.facility_create, name="facility-create"),
    path("facilities/<slug:slug>/", facilities.facility_detail, name="facility-detail"),
    path("facilities/<slug:slug>/rounds/open/", facilities.round_open, name="round-open"),
    path(
        "facilities/<slug:slug>/rounds/<int:round_id>/",
        dashboard.round_dashboard,
        name="round-dashboard",
    ),
    path(
        "facilities/<slug:slug>/rounds/<int:round_id>/close/",
        facilities.round_close,
        name="round-close",
    ),
    path(
        "facilities/<slug:slug>/rounds/<int:round_id>/reopen/",
        facilities.round_reopen,
        name="round-reopen",
    ),
    # Anonymous respondents: the shared round link, then a personal link per respondent
    path("r/<token:link_token>/", questionnaire.start, name="respondent-start"),
    path(
        "a/<token:token>/page/<int:number>/",
        questionnaire.page,
        name="respondent-page",
    ),
    path("a/<token:token>/", questionnaire.resume, name="respondent-resume"),
    path("a/<token:token>/done/", questionnaire.done, name="respondent-done"),
]
