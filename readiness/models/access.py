"""Who may see what, and the record of it: invitations to a facility, shares with
partners, the audit log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from readiness.models.facilities import Facility, Membership
from readiness.models.organisations import Partner
from readiness.models.rounds import Round


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Invitations that can still be accepted (``Invitation.is_pending``)."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A single-use, expiring invitation to join a facility, sent by e-mail."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    level = models.CharField(max_length=10, choices=Membership.Level.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.facility} ({self.level})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class ShareQuerySet(models.QuerySet):
    def active(self):
        """Shares in force now: accepted by the partner, not revoked and not expired."""
        return self.live().filter(accepted_at__isnull=False)

    def live(self):
        """Shares not revoked nor expired, of facilities not deleted: in force, or
        offered and waiting."""
        today = timezone.localdate()
        return self.filter(revoked_at__isnull=True, facility__deleted_at__isnull=True).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        )

    def offered(self):
        """Offers a partner has not answered yet."""
        return self.live().filter(accepted_at__isnull=True)


class Share(models.Model):
    """A facility's results shared, read-only, with a partner organisation."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="shares")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="shares")
    all_rounds = models.BooleanField(default=True)
    rounds = models.ManyToManyField(Round, blank=True, related_name="shares")
    include_strategies = models.BooleanField(default=True)
    # Results by role can expose small groups, so they are shared only when ticked.
    include_roles = models.BooleanField(default=False)
    expires_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None while it is an offer: the partner sees nothing until a member accepts.
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "partner"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_share_per_partner",
            )
        ]

    def __str__(self):
        return f"{self.facility} → {self.partner}"


class AuditEvent(models.Model):
    """Who did what, and when. Written by services, never edited through the app."""

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        TWO_FACTOR_ON = "two_factor_on", _("Two-step sign-in turned on")
        TWO_FACTOR_OFF = "two_factor_off", _("Two-step sign-in turned off")
        RECOVERY_CODES_REPLACED = "recovery_codes_replaced", _("New recovery codes")
        TWO_FACTOR_RESET = "two_factor_reset", _("Two-step sign-in reset by an operator")
        MEMBER_INVITED = "member_invited", _("Member invited")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        MEMBER_JOINED = "member_joined", _("Member joined")
        MEMBER_CHANGED = "member_changed", _("Member's role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        SHARE_GRANTED = "share_granted", _("Results offered to a partner")
        SHARE_ACCEPTED = "share_accepted", _("Partner accepted the shared results")
        SHARE_DECLINED = "share_declined", _("Partner declined the shared results")
        SHARE_REVOKED = "share_revoked", _("Share revoked")
        ROUND_OPENED = "round_opened", _("Round opened")
        ROUND_CLOSED = "round_closed", _("Round closed")
        ROUND_REOPENED = "round_reopened", _("Round reopened")
        LINK_REGENERATED = "link_regenerated", _("Round link replaced")
        EXPORTED = "exported", _("Data downloaded")
        DOWNLOAD_PREPARED = "download_prepared", _("Download prepared")
        NETWORK_ANSWERS_GRANTED = (
            "network_answers_granted",
            _("Network allowed to download answers"),
        )
        NETWORK_ANSWERS_REVOKED = (
            "network_answers_revoked",
            _("Network no longer allowed to download answers"),
        )
        BENCHMARKS_JOINED = "benchmarks_joined", _("Joined peer comparisons")
        BENCHMARKS_LEFT = "benchmarks_left", _("Left peer comparisons")
        MIN_GROUP_CHANGED = "min_group_changed", _("Smallest group shown changed")
        FLAGGED_EXCLUDED = "flagged_excluded", _("Flagged responses left out")
        FLAGGED_INCLUDED = "flagged_included", _("Flagged responses counted again")
        FACILITY_VERIFIED = "facility_verified", _("Facility verified")
        ROUND_DELETED = "round_deleted", _("Round deleted")
        FACILITY_DELETED = "facility_deleted", _("Facility deleted")
        FACILITY_RESTORED = "facility_restored", _("Facility restored")

    # An account's own events, recorded without a facility: the audit log of each
    # facility the account belongs to shows them (views/owner.audit_log).
    ACCOUNT_EVENTS = (
        Action.SIGNED_IN,
        Action.TWO_FACTOR_ON,
        Action.TWO_FACTOR_OFF,
        Action.RECOVERY_CODES_REPLACED,
        Action.TWO_FACTOR_RESET,
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the log still says who it was after an account is deleted.
    username = models.CharField(max_length=150, blank=True)
    facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.action}"
