from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from readiness.services.two_factor import forget_devices


class Command(BaseCommand):
    help = (
        "Remove an account's authenticator app and recovery codes, for someone who has "
        "lost both. Check who is asking first (docs/security.md). At their next sign-in "
        "the password is enough, and owners and partner and network members are asked to "
        "set up two-step sign-in again before anything else."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "username",
            help="The account's username (for accounts made "
            "from an invitation, its e-mail address).",
        )

    def handle(self, *args, username, **options):
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None:
            # typed in another case: only when that names one account
            matches = list(users.filter(username__iexact=username)[:2])
            if len(matches) > 1:
                raise CommandError(
                    f"Several accounts have the username {username!r} in some case; "
                    "type it exactly."
                )
            user = matches[0] if matches else None
        if user is None:
            raise CommandError(f"No account with the username {username!r}.")
        if forget_devices(user):
            self.stdout.write(f"Two-step sign-in is reset for {user.get_username()}.")
        else:
            self.stdout.write(f"{user.get_username()} had no authenticator app.")
