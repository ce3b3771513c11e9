from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from portal.api_auth import SHOWN_PREFIX_LENGTH, api_token_create, api_token_revoke, key_hash
from portal.management.base import TenantCommand
from portal.models import ApiToken, Membership


class Command(TenantCommand):
    help = (
        "Create an API token of a tenant (the key is printed once), revoke one by its prefix, "
        "or list them."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--name", help="create a token with this name")
        action.add_argument(
            "--revoke", metavar="PREFIX", help="revoke the token with this prefix (or whole key)"
        )
        action.add_argument("--list", action="store_true", help="list the tenant's tokens")
        parser.add_argument("--user", help="username of the member the token is created for")

    def handle_tenant(self, tenant, *args, **options):
        if options["list"]:
            self._list(tenant)
        elif options["revoke"]:
            self._revoke(tenant, options["revoke"])
        else:
            self._create(tenant, options["name"], options["user"])

    def _create(self, tenant, name: str, username: str | None) -> None:
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None or not Membership.objects.filter(tenant=tenant, user=user).exists():
                raise CommandError(f"{username!r} is not a member of {tenant.slug}.")
        token, key = api_token_create(tenant=tenant, name=name, user=user)
        self.stderr.write(f"Created token {token.prefix}… ({name}) in {tenant.slug}.")
        self.stderr.write("The key is shown only now; store it as a secret:")
        self.stdout.write(key)

    def _revoke(self, tenant, prefix: str) -> None:
        tokens = ApiToken.objects.filter(tenant=tenant)
        if len(prefix) > SHOWN_PREFIX_LENGTH:
            tokens = list(tokens.filter(key_hash=key_hash(prefix)))
        else:
            tokens = list(tokens.filter(prefix=prefix))
        if not tokens:
            raise CommandError(f"No token with prefix {prefix!r} in {tenant.slug}.")
        if len(tokens) > 1:
            raise CommandError(
                f"{len(tokens)} tokens have prefix {prefix!r}; pass the whole key to revoke one."
            )
        token = api_token_revoke(token=tokens[0])
        self.stdout.write(f"Revoked {token.prefix}… ({token.name}).")

    def _list(self, tenant) -> None:
        tokens = ApiToken.objects.filter(tenant=tenant).select_related("created_by")
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            who = token.created_by.get_username() if token.created_by else "-"
            self.stdout.write(
                f"{token.prefix}  {state:<18} last used {used:<16}  {who:<20} {token.name}"
            )
        if not tokens:
            self.stdout.write(f"No API tokens in {tenant.slug}.")
