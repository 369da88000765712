from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "readiness"
    verbose_name = "Readiness"

    def ready(self):
        # Sign-ins happen inside django.contrib.auth; its signals are how they reach the
        # audit log.
        from django.contrib.auth.signals import user_logged_in

        from readiness.models import AuditEvent
        from readiness.services.audit import record

        def signed_in(sender, request, user, **kwargs):
            record(action=AuditEvent.Action.SIGNED_IN, user=user)

        user_logged_in.connect(signed_in, weak=False, dispatch_uid="readiness-audit-sign-in")

        from django.contrib.auth.signals import user_login_failed

        from readiness.middleware import seen_at_sign_in
        from readiness.views.accounts import sign_in_failed

        user_login_failed.connect(sign_in_failed, dispatch_uid="readiness-sign-in-failed")

        user_logged_in.connect(seen_at_sign_in, dispatch_uid="readiness-session-activity")

        # A prepared download's files go with it, however it is deleted (a cascade from
        # its facility, network or person included): services/downloads/expiry.py's receiver.
        import readiness.services.downloads  # noqa: F401
