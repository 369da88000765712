"""Writes that change who may see a facility and what they see: members, invitations,
partner shares, and the facility's own choices about what others see of its results."""

from readiness.services.access.invitations import (
    InvitationForSomeoneElse,
    InvitationInvalid,
    accept_invitation,
    find_invitation,
    invite_member,
    invited_account,
    revoke_invitation,
)
from readiness.services.access.members import change_member_level, remove_member
from readiness.services.access.shares import (
    accept_share,
    decline_share,
    partner_by_code,
    revoke_share,
    share_with_partner,
)
from readiness.services.access.visibility import (
    set_benchmark_consent,
    set_min_group,
    set_network_answer_access,
)

__all__ = [
    "InvitationForSomeoneElse",
    "InvitationInvalid",
    "accept_invitation",
    "accept_share",
    "change_member_level",
    "decline_share",
    "find_invitation",
    "invite_member",
    "invited_account",
    "partner_by_code",
    "remove_member",
    "revoke_invitation",
    "revoke_share",
    "set_benchmark_consent",
    "set_min_group",
    "set_network_answer_access",
    "share_with_partner",
]
