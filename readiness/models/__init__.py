"""Data model, one module per group of tables:

* ``instrument``: the questionnaire, loaded from fixtures/ and never edited in place;
* ``organisations``: networks and partners, above facilities;
* ``facilities``: facilities and their staff;
* ``rounds``: assessment rounds and what anonymous respondents give;
* ``results``: what is computed from answers and kept (scores, releases, standings);
* ``access``: invitations, shares with partners, the audit log;
* ``plans``: action plans and the intervention inventory;
* ``downloads``: downloads prepared in the background;
* ``codes``: the random tokens and codes of links.

Nothing here identifies a respondent: no name, e-mail, IP address or user agent, and
dates are kept to the day. Everything is importable from ``readiness.models``, which is
how the rest of the app (and the migrations) name it.
"""

from readiness.models.access import (
    AuditEvent,
    Invitation,
    InvitationQuerySet,
    Share,
    ShareQuerySet,
)
from readiness.models.codes import (
    SHORT_CODE_ALPHABET,
    SHORT_CODE_GROUP,
    SHORT_CODE_LENGTH,
    TOKEN_BYTES,
    group_short_code,
    hash_token,
    new_short_code,
    new_token,
)
from readiness.models.downloads import (
    PreparedDownload,
)
from readiness.models.facilities import (
    RESTORE_WITHIN_DAYS,
    Facility,
    FacilityQuerySet,
    FacilityType,
    LiveFacilities,
    Membership,
    Setting,
    USState,
)
from readiness.models.instrument import (
    Determinant,
    Domain,
    Instrument,
    Item,
    Role,
    Strategy,
    Translated,
)
from readiness.models.organisations import (
    Affiliation,
    Network,
    NetworkLeader,
    Organisation,
    Partner,
    PartnerMembership,
    new_partner_code,
)
from readiness.models.plans import (
    ActionItem,
    FacilityIntervention,
    Intervention,
)
from readiness.models.results import (
    Band,
    BenchmarkSnapshot,
    DeterminantScore,
    RoundRelease,
    Standing,
    most_scored_of,
    summary_of,
)
from readiness.models.rounds import (
    Answer,
    Respondent,
    Round,
)

__all__ = [
    "Affiliation",
    "Organisation",
    "ActionItem",
    "Answer",
    "AuditEvent",
    "Band",
    "BenchmarkSnapshot",
    "Determinant",
    "DeterminantScore",
    "Domain",
    "Facility",
    "FacilityIntervention",
    "FacilityQuerySet",
    "FacilityType",
    "Instrument",
    "Intervention",
    "Invitation",
    "InvitationQuerySet",
    "Item",
    "LiveFacilities",
    "Membership",
    "Network",
    "NetworkLeader",
    "Partner",
    "PartnerMembership",
    "PreparedDownload",
    "RESTORE_WITHIN_DAYS",
    "Respondent",
    "Role",
    "Round",
    "RoundRelease",
    "SHORT_CODE_ALPHABET",
    "SHORT_CODE_GROUP",
    "SHORT_CODE_LENGTH",
    "Setting",
    "Share",
    "ShareQuerySet",
    "Standing",
    "Strategy",
    "TOKEN_BYTES",
    "Translated",
    "USState",
    "group_short_code",
    "hash_token",
    "most_scored_of",
    "new_partner_code",
    "new_short_code",
    "new_token",
    "summary_of",
]
