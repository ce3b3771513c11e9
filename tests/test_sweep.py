"""Cross-tenant sweep: no route shows or touches another tenant's objects.

Every route under /t/<slug>/ (URL resolver) and every API operation (OpenAPI schema) is
requested by each member role of tenant A and by an API token of tenant A:

1. in tenant B's URL (with B's objects in the parameters): 404 for members and for A's token
   alike (a key valid nowhere is a 401: docs/security.md);
2. in A's own URL with B's objects in the parameters (all of them, and each one alone beside A's
   own objects), by GET and POST (API: the documented methods): 404 -- or the very refusal
   (403/405) the role gets for A's own object, which says nothing about B's;
3. in A's own URL without objects (lists, exports): no error.

No response body may contain any text of B's objects, and B's rows are unchanged afterwards.
One object of every tenant-owned model exists in both tenants (tests/tenant_objects.py); a
route whose parameters cannot be filled fails and names the mapping to add (tests/routes.py).
"""

from __future__ import annotations

import itertools
import json

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from portal.api_auth import api_token_create
from portal.models import Role
from portal.tenancy import tenant_context
from tests.routes import UnfillableRoute, api_routes, tenant_routes
from tests.tenant_objects import TenantObjects, tenant_owned_models

pytestmark = pytest.mark.django_db

MEMBER_ROLES = [Role.ADMIN, Role.HEAD, Role.REP, Role.BOARD]
REFUSALS = {403, 405}


def models_by_label() -> dict:
    return {m._meta.label: m for m in apps.get_models()}


def test_every_route_parameter_can_be_filled():
    labels = models_by_label()
    problems = []
    for route in [*tenant_routes(), *api_routes()]:
        for parameter in route.object_parameters:
            try:
                route.model_for(parameter, labels)
            except UnfillableRoute as exc:
                problems.append(str(exc))
    assert not problems, "\n".join(problems)


def snapshot(tenant) -> dict:
    with tenant_context(tenant):
        return {
            model._meta.label: sorted(
                json.dumps(row, default=str, sort_keys=True) for row in model.objects.values()
            )
            for model in tenant_owned_models()
        }


class Sweep:
    def __init__(self, a, b, clients, token_client):
        self.a, self.b = a, b
        self.clients = clients
        self.token_client = token_client
        self.labels = models_by_label()
        self.b_strings = sorted(b.strings | {b.tenant.name})
        self.requests = 0
        self.checked: set[tuple[str, str]] = set()
        self.leaks: list[str] = []
        self.errors: list[str] = []

    def call(self, client: Client, method: str, url: str, api: bool):
        self.requests += 1
        if method == "GET":
            return client.get(url)
        data = json.dumps({}) if api else {}
        kwargs = {"content_type": "application/json"} if api else {}
        return getattr(client, method.lower())(url, data, **kwargs)

    def check_body(self, who: str, method: str, url: str, response) -> None:
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        found = [s for s in self.b_strings if s in text]
        if found:
            self.leaks.append(f"{who} {method} {url}: body shows tenant B's {found[:3]}")

    def request(self, who: str, client: Client, method: str, url: str, api: bool):
        try:
            response = self.call(client, method, url, api)
        except Exception as exc:  # a crash is a finding too, with its route
            self.errors.append(f"{who} {method} {url}: raised {exc!r}")
            return None
        self.check_body(who, method, url, response)
        return response

    def variants(self, route):
        """Parameter -> TenantObjects: all B's, then (with several objects) each one B's alone."""
        params = route.object_parameters
        yield dict.fromkeys(params, self.b)
        if len(params) > 1:
            for chosen in params:
                yield {p: (self.b if p == chosen else self.a) for p in params}

    def run(self, route, who: str, client: Client, methods: list[str], *, token: bool = False):
        self.checked.add((route.name, who))
        own, other = self.a.tenant.slug, self.b.tenant.slug
        # 1. B's URL.
        url = route.url(other, dict.fromkeys(route.object_parameters, self.b), self.labels)
        response = self.request(who, client, "GET", url, route.api)
        allowed = {404}
        if response is not None and response.status_code not in allowed:
            self.leaks.append(f"{who} GET {url} (tenant B's URL): {response.status_code}")
        if not route.object_parameters:
            # 3. A's own list pages: must work and show nothing of B.
            if "GET" in methods:
                url = route.url(own, {}, self.labels)
                response = self.request(who, client, "GET", url, route.api)
                if response is not None and response.status_code >= 500:
                    self.errors.append(f"{who} GET {url}: {response.status_code}")
            return
        # 2. A's URL, B's objects.
        for objects_for, method in itertools.product(list(self.variants(route)), methods):
            url = route.url(own, objects_for, self.labels)
            response = self.request(who, client, method, url, route.api)
            if response is None or response.status_code == 404:
                continue
            own_url = route.url(own, dict.fromkeys(route.object_parameters, self.a), self.labels)
            own_status = self.call(client, method, own_url, route.api).status_code
            if not (response.status_code in REFUSALS and response.status_code == own_status):
                self.leaks.append(
                    f"{who} {method} {url} (B's object in A's URL): {response.status_code}, "
                    f"A's own object gives {own_status}"
                )

    def report(self, routes: int) -> str:
        roles = sorted({who for _, who in self.checked})
        lines = [
            "",
            "Cross-tenant sweep",
            f"  routes checked:     {routes}",
            f"  roles:              {len(roles)} ({', '.join(roles)})",
            f"  route x role pairs: {len(self.checked)}",
            f"  requests:           {self.requests}",
            f"  leaks found:        {len(self.leaks)}",
            *[f"    {leak}" for leak in self.leaks],
            f"  errors (crashes):   {len(self.errors)}",
            *[f"    {error}" for error in self.errors],
        ]
        return "\n".join(lines)


@pytest.fixture
def sweep(tenant, other_tenant, members):
    a = TenantObjects(tenant, "aaa")
    b = TenantObjects(other_tenant, "bbb")
    clients = {}
    for role in MEMBER_ROLES:
        client = Client()
        client.force_login(members[role].user)
        clients[role] = client
    with tenant_context(tenant):
        _, key = api_token_create(tenant=tenant, name="sweep")
    token_client = Client(headers={"Authorization": f"Token {key}"})
    return Sweep(a, b, clients, token_client)


def test_no_route_shows_or_touches_another_tenants_objects(sweep, other_tenant, capsys):
    before = snapshot(other_tenant)
    pages = [r for r in tenant_routes() if not r.api]
    endpoints = api_routes()
    for route in pages:
        for role, client in sweep.clients.items():
            sweep.run(route, role, client, ["GET", "POST"])
    for route in endpoints:
        sweep.run(route, "api-token", sweep.token_client, route.methods, token=True)
        reads = [m for m in route.methods if m == "GET"]
        for role, client in sweep.clients.items():
            if reads:
                sweep.run(route, role, client, reads)
    after = snapshot(other_tenant)
    with capsys.disabled():
        print(sweep.report(len(pages) + len(endpoints)))
    assert not sweep.leaks and not sweep.errors, sweep.report(len(pages) + len(endpoints))
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"tenant B's rows changed: {changed}"
    assert len(sweep.checked) >= len(pages) * len(MEMBER_ROLES)


@pytest.mark.urls("tests.leaky_urls")
def test_the_sweep_catches_a_page_that_forgets_the_tenant(sweep, capsys):
    """The sweep can fail: a page that reads any tenant's row is reported on SQLite, and on
    PostgreSQL row-level security alone still hides tenant B's row."""
    [route] = [r for r in tenant_routes() if r.name == "leaky_term"]
    sweep.run(route, "admin", sweep.clients[Role.ADMIN], ["GET"])
    assert sweep.requests >= 2  # tenant B's URL, and B's term in A's URL
    if connection.vendor == "postgresql":
        assert sweep.leaks == [] and sweep.errors == []
    else:
        assert any("body shows tenant B's" in leak for leak in sweep.leaks), sweep.leaks
