from django.urls import include, path, register_converter

from readiness import converters
from readiness.converters import TokenConverter
from readiness.views import (
    accounts,
    dashboard,
    downloads,
    facilities,
    help,
    home,
    interventions,
    members,
    networks,
    owner,
    partners,
    plans,
    quality,
    questionnaire,
    two_factor,
)

register_converter(TokenConverter, "token")
register_converter(converters.ShortCodeConverter, "short")

FACILITY = "facilities/<slug:slug>/"
ROUND = FACILITY + "rounds/<int:round_id>/"

urlpatterns = [
    path("", home.home, name="home"),
    path("help/scores/", help.how_scores_work, name="how-scores-work"),
    # Django's set_language: the language switcher of staff pages (a cookie; respondents
    # switch through the address instead, readiness/languages.py).
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/login/code/", two_factor.verify, name="two-factor-verify"),
    path("accounts/two-factor/", two_factor.overview, name="two-factor"),
    path("accounts/two-factor/set-up/", two_factor.set_up, name="two-factor-set-up"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("accounts/two-factor/off/", two_factor.turn_off, name="two-factor-off"),
    # logout, password change and reset, from django.contrib.auth
    path("accounts/", include("django.contrib.auth.urls")),
    path("invitations/<token:token>/", members.invitation_accept, name="invitation-accept"),
    # Facility staff
    path("facilities/", facilities.facility_list, name="facility-list"),
    path("facilities/new/", facilities.facility_create, name="facility-create"),
    path(FACILITY, facilities.facility_detail, name="facility-detail"),
    path(FACILITY + "rounds/open/", facilities.round_open, name="round-open"),
    path(ROUND, dashboard.round_dashboard, name="round-dashboard"),
    path(ROUND + "results.json", dashboard.round_results_json, name="round-results-json"),
    path(ROUND + "report/", dashboard.prepare_round_report, name="round-report-prepare"),
    path(ROUND + "close/", facilities.round_close, name="round-close"),
    path(ROUND + "reopen/", facilities.round_reopen, name="round-reopen"),
    path(ROUND + "new-link/", facilities.round_link_replace, name="round-link-replace"),
    path(ROUND + "hand-out/", facilities.round_hand_out, name="round-hand-out"),
    path(ROUND + "flyer/", facilities.round_flyer, name="round-flyer"),
    path(ROUND + "delete/", owner.round_delete, name="round-delete"),
    path(ROUND + "flagged/", quality.exclude_flagged, name="round-exclude-flagged"),
    path(FACILITY + "members/", members.members, name="facility-members"),
    path(FACILITY + "members/invite/", members.invite, name="member-invite"),
    path(
        FACILITY + "members/invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke,
        name="invitation-revoke",
    ),
    path(FACILITY + "members/<int:membership_id>/role/", members.member_level, name="member-level"),
    path(
        FACILITY + "members/<int:membership_id>/remove/",
        members.member_remove,
        name="member-remove",
    ),
    path(FACILITY + "shares/new/", members.share_create, name="share-create"),
    path(FACILITY + "benchmarks/", members.benchmark_consent, name="benchmark-consent"),
    path(
        FACILITY + "network-answers/",
        owner.network_answer_access,
        name="network-answer-access",
    ),
    path(FACILITY + "min-group/", members.min_group_change, name="facility-min-group"),
    path(FACILITY + "shares/<int:share_id>/revoke/", members.share_revoke, name="share-revoke"),
    path(FACILITY + "audit/", owner.audit_log, name="facility-audit"),
    path(FACILITY + "plan/", plans.plan, name="facility-plan"),
    path(FACILITY + "interventions/", interventions.inventory, name="facility-interventions"),
    path(ROUND + "plan/add/", plans.add, name="plan-add"),
    path(FACILITY + "plan/<int:item_id>/", plans.edit, name="plan-edit"),
    path(FACILITY + "plan/<int:item_id>/status/", plans.set_status, name="plan-status"),
    path(
        FACILITY + "answers/", downloads.prepare_facility_answers, name="facility-answers-prepare"
    ),
    path(FACILITY + "scores.csv", downloads.scores, {"fmt": "csv"}, name="facility-scores-csv"),
    path(FACILITY + "scores.xlsx", downloads.scores, {"fmt": "xlsx"}, name="facility-scores-xlsx"),
    path(FACILITY + "delete/", owner.facility_delete, name="facility-delete"),
    path(FACILITY + "restore/", facilities.facility_restore, name="facility-restore"),
    # Networks of facilities
    path("networks/<slug:slug>/", networks.comparison, name="network-comparison"),
    path("networks/<slug:slug>/quality/", networks.quality, name="network-quality"),
    path("networks/<slug:slug>/report/", networks.prepare_report, name="network-report-prepare"),
    path(
        "networks/<slug:slug>/comparison.csv",
        networks.comparison_download,
        {"fmt": "csv"},
        name="network-comparison-csv",
    ),
    path(
        "networks/<slug:slug>/comparison.xlsx",
        networks.comparison_download,
        {"fmt": "xlsx"},
        name="network-comparison-xlsx",
    ),
    path(
        "networks/<slug:slug>/answers/",
        downloads.prepare_network_answers,
        name="network-answers-prepare",
    ),
    # Answer-level downloads, prepared in the background (services/downloads/)
    path("downloads/", downloads.my_downloads, name="download-list"),
    path("downloads/<uuid:download_id>/", downloads.download_status, name="download-status"),
    path(
        "downloads/<uuid:download_id>/progress.json",
        downloads.download_progress,
        name="download-progress",
    ),
    path("downloads/<uuid:download_id>/file", downloads.download_file, name="download-file"),
    # Partner organisations
    path("partners/<slug:slug>/", partners.portfolio, name="partner-portfolio"),
    path(
        "partners/<slug:slug>/offers/<int:share_id>/accept/",
        partners.offer_accept,
        name="partner-offer-accept",
    ),
    path(
        "partners/<slug:slug>/offers/<int:share_id>/decline/",
        partners.offer_decline,
        name="partner-offer-decline",
    ),
    # Anonymous respondents: the shared round link, then a personal link per respondent
    path("r/<token:link_token>/", questionnaire.start, name="respondent-start"),
    # The same, short, for flyers and QR codes (/s/k7m4-p9qx-dw3n, any case, dashes or not)
    path("s/<short:code>", questionnaire.short_link, name="respondent-short"),
    path("s/<short:code>/", questionnaire.short_link),  # typed with a slash
    path("a/<token:token>/", questionnaire.resume, name="respondent-resume"),
    path("a/<token:token>/page/<int:number>/", questionnaire.page, name="respondent-page"),
    path("a/<token:token>/done/", questionnaire.done, name="respondent-done"),
]
