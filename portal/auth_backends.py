"""Login throttling: django-axes' check, for logins that come with a request."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a login while its username + address is locked out (django-axes).

    Every login through a page passes the request. A call without one (Django's test client,
    a shell) has no address to throttle by; it is left to the next backend instead of failing.
    """

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


# Failed API keys count against this pseudo-username, per address (portal.api_auth).
API_TOKEN_CREDENTIALS = {"username": "api-token"}


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT: machines retry more than people mistype; keys get a larger budget."""
    from django.conf import settings

    if credentials and credentials.get("username") == API_TOKEN_CREDENTIALS["username"]:
        return settings.API_TOKEN_FAILURE_LIMIT
    return settings.LOGIN_FAILURE_LIMIT
