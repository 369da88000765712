"""Organisations above facilities: networks, whose leaders read their sites' results, and
partners, with whom facilities share theirs."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from readiness.models.codes import SHORT_CODE_LENGTH, group_short_code, new_short_code


class Organisation(models.Model):
    """What networks and partners have in common: a name, an address, and people who
    belong through a table of their own, whose related name ``PEOPLE`` gives (who belongs
    to which is permissions.organisations_of's to say)."""

    PEOPLE: str

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Network(Organisation):
    """A health-center network, hospital system or county department grouping facilities."""

    PEOPLE = "leaderships"

    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="NetworkLeader", related_name="networks"
    )

    def get_absolute_url(self):
        return reverse("network-comparison", args=[self.slug])


class Affiliation(models.Model):
    """One person's place in an organisation, whose field ``ORGANISATION`` names; each
    table keeps its own related names, which the rest of the app reads."""

    ORGANISATION: str

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.user} – {getattr(self, self.ORGANISATION)}"


class NetworkLeader(Affiliation):
    ORGANISATION = "network"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="network_roles"
    )
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="leaderships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="network_leader_unique")
        ]


def new_partner_code() -> str:
    """A code a partner gives to the facilities it works with (SHORT_CODE_ALPHABET)."""
    return new_short_code()


class Partner(Organisation):
    """An advocacy group, funder or network office that facilities may share with.

    Facilities find a partner only by the code it gives them (``share_code``): no list of
    partners is shown to anyone, and a share stays an offer until a member accepts it.
    """

    PEOPLE = "memberships"

    share_code = models.CharField(
        max_length=SHORT_CODE_LENGTH, unique=True, default=new_partner_code
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="PartnerMembership", related_name="partners"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def get_absolute_url(self):
        return reverse("partner-portfolio", args=[self.slug])

    @property
    def grouped_share_code(self) -> str:
        return group_short_code(self.share_code)


class PartnerMembership(Affiliation):
    ORGANISATION = "partner"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_memberships"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="partner_membership_unique")
        ]
