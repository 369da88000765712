from django.shortcuts import redirect, render

from readiness.models import Network, Partner
from readiness.permissions import facilities_for, organisations_of


def home(request):
    """Where each person starts: someone who only leads one network lands on it, someone
    who only belongs to one partner organization on its portfolio; anyone else (members
    of facilities, or people with several roles) on the list that shows each of them."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    if not facilities_for(request.user).exists():
        networks = list(organisations_of(request.user, Network)[:2])
        partners = list(organisations_of(request.user, Partner)[:2])
        if len(networks) == 1 and not partners:
            return redirect(networks[0])
        if len(partners) == 1 and not networks:
            return redirect(partners[0])
    return redirect("facility-list")
