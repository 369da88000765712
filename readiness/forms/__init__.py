"""Staff forms, by what they change: ``facilities``, ``access``, ``accounts``, ``plans``,
``networks``. The respondents' forms are in forms/questionnaire.py."""

from readiness.forms.access import (
    BenchmarkConsentForm,
    InviteForm,
    MemberLevelForm,
    NetworkAnswerAccessForm,
    ShareForm,
)
from readiness.forms.accounts import (
    SignInForm,
    SignUpForm,
    TwoFactorCodeForm,
    account_address,
    sign_in_name,
)
from readiness.forms.facilities import (
    RESERVED_SLUGS,
    SLUG_UNAVAILABLE,
    AnswerDownloadForm,
    ConfirmDeleteForm,
    ExcludeFlaggedForm,
    FacilityForm,
    MinGroupForm,
    RoundForm,
)
from readiness.forms.networks import ComparisonFilter, QuestionnaireVersionForm
from readiness.forms.plans import ActionItemForm, ActionItemStatusForm, InventoryForm

__all__ = [
    "RESERVED_SLUGS",
    "SLUG_UNAVAILABLE",
    "ActionItemForm",
    "ActionItemStatusForm",
    "AnswerDownloadForm",
    "BenchmarkConsentForm",
    "ComparisonFilter",
    "ConfirmDeleteForm",
    "ExcludeFlaggedForm",
    "FacilityForm",
    "InventoryForm",
    "InviteForm",
    "MemberLevelForm",
    "MinGroupForm",
    "NetworkAnswerAccessForm",
    "QuestionnaireVersionForm",
    "RoundForm",
    "ShareForm",
    "SignInForm",
    "SignUpForm",
    "TwoFactorCodeForm",
    "account_address",
    "sign_in_name",
]
