"""The API: tokens per tenant, tenant isolation (401 / 404), reading customers and orders,
bulk pushes that write all or nothing, and a schema that generates without warnings."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers import api as customers_api
from customers.models import Customer, Order
from customers.services import channels_ensure
from portal.api import TenantScopedViewSet
from portal.api_auth import api_token_create, api_token_revoke
from portal.models import ApiToken, Role
from portal.tenancy import tenant_context
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def token_for(tenant, name: str = "erp sync", user=None) -> tuple[ApiToken, str]:
    with tenant_context(tenant):
        return api_token_create(tenant=tenant, name=name, user=user)


def client_with(key: str, scheme: str = "Token") -> Client:
    return Client(headers={"Authorization": f"{scheme} {key}"})


def push(client: Client, kind: str, records, *, tenant_slug: str = "acme", **extra):
    return client.post(
        f"/t/{tenant_slug}/api/v1/import/{kind}/",
        {"records": records, **extra},
        content_type="application/json",
    )


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def shop(tenant, other_tenant, members):
    """Acme: customers C1 (NL, rep, Sales), C2 (DE), C3 (NL); Globex: C1 and G9."""
    with tenant_context(tenant):
        channels = channels_ensure(tenant=tenant)
        sales = DepartmentFactory(tenant=tenant, name="Sales")
        rep = members[Role.REP]
        c1 = Customer.objects.create(
            tenant=tenant,
            external_id="C1",
            name="Van Dijk Installaties",
            country="NL",
            account_manager=rep,
            department=sales,
            estimated_wallet=Decimal("125000.50"),
        )
        c2 = Customer.objects.create(
            tenant=tenant, external_id="C2", name="Müller GmbH", country="DE"
        )
        Customer.objects.create(
            tenant=tenant, external_id="C3", name="Jansen Techniek", country="NL"
        )
        for ext, customer, day, channel, amount, is_return in [
            ("O1", c1, 3, "web", "100.00", False),
            ("O2", c1, 10, "phone", "250.00", False),
            ("O3", c2, 15, "web", "80.00", False),
            ("R1", c1, 20, "web", "-30.00", True),
        ]:
            Order.objects.create(
                tenant=tenant,
                external_id=ext,
                customer=customer,
                placed_at=datetime(2025, 3, day, 10, 0, tzinfo=AMSTERDAM),
                channel=channels[channel],
                amount=Decimal(amount),
                is_return=is_return,
            )
    with tenant_context(other_tenant):
        Customer.objects.create(tenant=other_tenant, external_id="C1", name="Globex Geheim BV")
        Customer.objects.create(tenant=other_tenant, external_id="G9", name="Alleen Bij Globex")
    return tenant


@pytest.fixture
def acme_key(shop):
    return token_for(shop)[1]


@pytest.fixture
def globex_key(other_tenant):
    return token_for(other_tenant)[1]


# --- Authentication and tenant isolation ---------------------------------------------------


def test_token_lists_only_its_own_tenants_customers(acme_key):
    response = client_with(acme_key).get("/t/acme/api/v1/customers/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert names(response) == ["Jansen Techniek", "Müller GmbH", "Van Dijk Installaties"]
    assert b"Globex" not in response.content


def test_bearer_scheme_works_too(acme_key):
    assert client_with(acme_key, "Bearer").get("/t/acme/api/v1/customers/").status_code == 200


def test_token_of_another_tenant_is_404_without_data(shop, globex_key):
    for url in ("/t/acme/api/v1/customers/", "/t/acme/api/v1/customers/C1/"):
        response = client_with(globex_key).get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
        assert b"Van Dijk" not in response.content
    refused = push(client_with(globex_key), "customers", [{"external_id": "X", "name": "X"}])
    assert refused.status_code == 404
    with tenant_context(shop):
        assert not Customer.objects.filter(external_id="X").exists()


def test_own_token_never_reaches_another_tenants_customer(acme_key):
    client = client_with(acme_key)
    same_id = client.get("/t/acme/api/v1/customers/C1/")
    assert same_id.status_code == 200
    assert same_id.json()["name"] == "Van Dijk Installaties"
    only_in_globex = client.get("/t/acme/api/v1/customers/G9/")
    assert only_in_globex.status_code == 404
    assert b"Globex" not in only_in_globex.content
    # and another tenant's URL with one's own key is no way in either
    assert client.get("/t/globex/api/v1/customers/G9/").status_code == 404


def test_revoked_and_unknown_keys_are_401(shop):
    token, key = token_for(shop)
    client = client_with(key)
    assert client.get("/t/acme/api/v1/customers/").status_code == 200
    with tenant_context(shop):
        api_token_revoke(token=token)
    response = client.get("/t/acme/api/v1/customers/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}
    assert response["WWW-Authenticate"] == "Token"
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "kt_nonsense", "not-a-key", ""):
        assert client_with(bad).get("/t/acme/api/v1/customers/").status_code == 401, bad


def test_a_valid_key_on_an_unknown_tenant_is_404_like_on_another_tenant(acme_key):
    response = client_with(acme_key).get("/t/no-such-tenant/api/v1/customers/")
    assert response.status_code == 404
    unknown = client_with("kt_" + "x" * 43).get("/t/no-such-tenant/api/v1/customers/")
    assert unknown.status_code == 401


def test_anonymous_api_requests_get_401_json_not_the_login_page(shop):
    client = Client()
    for response in (
        client.get("/t/acme/api/v1/customers/"),
        client.get("/t/no-such-tenant/api/v1/customers/"),
        push(client, "customers", [{"external_id": "X", "name": "X"}]),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_session_members_read_and_outsiders_get_404(shop, rep_client, outsider_client):
    assert rep_client.get("/t/acme/api/v1/customers/C1/").json()["external_id"] == "C1"
    refused = outsider_client.get("/t/acme/api/v1/customers/")
    assert refused.status_code == 404
    assert refused.json() == {"detail": "Not found."}
    assert b"Van Dijk" not in refused.content


def test_last_used_is_recorded_at_most_once_a_minute(shop):
    token, key = token_for(shop)
    client = client_with(key)
    client.get("/t/acme/api/v1/customers/")
    with tenant_context(shop):
        token.refresh_from_db()
        first = token.last_used_at
        assert first is not None
        client.get("/t/acme/api/v1/customers/")
        token.refresh_from_db()
        assert token.last_used_at == first
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
        client.get("/t/acme/api/v1/customers/")
        token.refresh_from_db()
        assert token.last_used_at > first


def test_only_the_hash_of_a_key_is_stored(shop):
    token, key = token_for(shop)
    assert key.startswith("kt_") and len(key) > 40
    assert token.prefix == key[:8]
    assert key not in {token.key_hash, token.prefix, token.name}
    assert len(token.key_hash) == 64


# --- Reading ----------------------------------------------------------------------------------


def test_a_customer_shows_references_by_external_values(acme_key):
    body = client_with(acme_key).get("/t/acme/api/v1/customers/C1/").json()
    assert body["account_manager"] == "rep-user"
    assert body["department"] == "Sales"
    assert body["estimated_wallet"] == 125000.5
    assert "id" not in body and "tenant" not in body


@pytest.mark.parametrize(
    "query, expected",
    [
        ("country=nl", ["Jansen Techniek", "Van Dijk Installaties"]),
        ("account_manager=rep-user", ["Van Dijk Installaties"]),
        ("department=sales", ["Van Dijk Installaties"]),
        ("q=techniek", ["Jansen Techniek"]),
        ("country=NL&ordering=-name", ["Van Dijk Installaties", "Jansen Techniek"]),
        ("ordering=external_id", ["Van Dijk Installaties", "Müller GmbH", "Jansen Techniek"]),
        ("ordering=tenant", ["Jansen Techniek", "Müller GmbH", "Van Dijk Installaties"]),
        ("account_manager=nobody", []),
    ],
)
def test_customer_filters_and_ordering(acme_key, query, expected):
    response = client_with(acme_key).get(f"/t/acme/api/v1/customers/?{query}")
    assert response.status_code == 200
    assert names(response) == expected


def test_customer_list_pages(acme_key):
    client = client_with(acme_key)
    first = client.get("/t/acme/api/v1/customers/?page_size=2").json()
    assert first["count"] == 3
    assert [c["external_id"] for c in first["results"]] == ["C3", "C2"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [c["external_id"] for c in second["results"]] == ["C1"]
    assert second["next"] is None
    assert client.get("/t/acme/api/v1/customers/?page=9").status_code == 404


def test_page_size_is_capped_at_1000(shop, acme_key):
    with tenant_context(shop):
        Customer.objects.bulk_create(
            Customer(tenant=shop, external_id=f"B{i:04}", name=f"Bulk {i:04}") for i in range(1001)
        )
    body = client_with(acme_key).get("/t/acme/api/v1/customers/?page_size=5000").json()
    assert body["count"] == 1004
    assert len(body["results"]) == 1000


def test_orders_read_like_an_orders_push(acme_key):
    body = client_with(acme_key).get("/t/acme/api/v1/orders/R1/").json()
    assert body == {
        "external_id": "R1",
        "customer_external_id": "C1",
        "placed_at": "2025-03-20T10:00:00+01:00",
        "channel": "web",
        "amount": -30.0,
        "is_return": True,
        "return_reason": "",
        "quantity": None,
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["R1", "O3", "O2", "O1"]),
        ("customer=C1", ["R1", "O2", "O1"]),
        ("channel=WEB", ["R1", "O3", "O1"]),
        ("placed_after=2025-03-10", ["R1", "O3", "O2"]),
        ("placed_before=2025-03-10", ["O1"]),
        ("placed_after=2025-03-04&placed_before=2025-03-16", ["O3", "O2"]),
        ("is_return=true", ["R1"]),
        ("is_return=false&ordering=amount", ["O3", "O1", "O2"]),
        ("customer=G9", []),
    ],
)
def test_order_filters(acme_key, query, expected):
    response = client_with(acme_key).get(f"/t/acme/api/v1/orders/?{query}")
    assert response.status_code == 200
    assert [o["external_id"] for o in response.json()["results"]] == expected


def test_a_bad_filter_value_is_a_400(acme_key):
    response = client_with(acme_key).get("/t/acme/api/v1/orders/?placed_after=yesterday")
    assert response.status_code == 400
    assert "placed_after" in response.json()


def _count_list_queries(client: Client, url: str) -> int:
    client.get(url)  # the first use of a token records last_used_at
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_customer_list_takes_the_same_number_of_queries_for_5_or_25(shop, members, acme_key):
    client = client_with(acme_key)
    url = "/t/acme/api/v1/customers/?page_size=100"

    def add_customers(start: int, count: int) -> None:
        with tenant_context(shop):
            department = DepartmentFactory(tenant=shop)
            for i in range(start, start + count):
                rep = MembershipFactory(tenant=shop, user=UserFactory(), role=Role.REP)
                Customer.objects.create(
                    tenant=shop,
                    external_id=f"Q{i}",
                    name=f"Klant {i}",
                    account_manager=rep,
                    department=department,
                )

    add_customers(0, 2)  # with C1..C3: 5 customers
    small = _count_list_queries(client, url)
    add_customers(2, 20)
    large = _count_list_queries(client, url)
    assert client.get(url).json()["count"] == 25
    assert small == large


def test_order_list_takes_the_same_number_of_queries_whatever_its_length(shop, acme_key):
    client = client_with(acme_key)
    few = _count_list_queries(client, "/t/acme/api/v1/orders/?page_size=1")
    many = _count_list_queries(client, "/t/acme/api/v1/orders/?page_size=100")
    assert few == many


# --- Pushing ----------------------------------------------------------------------------------

NEW_CUSTOMERS = [
    {"external_id": "N1", "name": "Bakker Bouw", "country": "NL", "account_manager": "rep-user"},
    {"external_id": "N2", "name": "Hansen A/S", "country": "DK", "employees": 40},
    {"external_id": "N3", "name": "De Vries", "has_webshop": True, "estimated_wallet": 1500.75},
]


def test_a_push_creates_and_a_repeated_push_changes_nothing(shop, acme_key):
    client = client_with(acme_key)
    first = push(client, "customers", NEW_CUSTOMERS)
    assert first.status_code == 200, first.json()
    assert first.json() == {
        "kind": "customers",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "written": True,
        "dry_run": False,
        "warnings": [],
    }
    again = push(client, "customers", NEW_CUSTOMERS).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    changed = push(client, "customers", [{**NEW_CUSTOMERS[0], "name": "Bakker Bouw BV"}]).json()
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 0)
    with tenant_context(shop):
        n1 = Customer.objects.select_related("account_manager__user").get(external_id="N1")
        assert n1.name == "Bakker Bouw BV"
        assert n1.account_manager.user.username == "rep-user"
        assert Customer.objects.get(external_id="N3").estimated_wallet == Decimal("1500.75")


def test_one_bad_record_writes_nothing_and_names_its_position(shop, acme_key):
    records = [*NEW_CUSTOMERS, {"external_id": "N4", "name": "Kaputt", "employees": "veel"}]
    response = push(client_with(acme_key), "customers", records)
    assert response.status_code == 400
    body = response.json()
    assert body["written"] is False
    assert body["error_count"] == 1
    assert body["errors"] == [
        {"line": 4, "column": "employees", "message": "'veel' is not a whole number"}
    ]
    with tenant_context(shop):
        assert not Customer.objects.filter(external_id__startswith="N").exists()


def test_orders_for_unknown_customers_are_refused(shop, acme_key):
    records = [
        {
            "external_id": "O9",
            "customer_external_id": "C1",
            "ordered_at": "2025-04-01T09:30:00+02:00",
            "amount": 99.5,
            "channel": "web",
        },
        {
            "external_id": "O10",
            "customer_external_id": "G9",  # a Globex customer: unknown here
            "ordered_at": "2025-04-01",
            "amount": 10,
            "channel": "email",
        },
    ]
    response = push(client_with(acme_key), "orders", records)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (2, "customer_external_id")
    assert "no customer with this external id" in error["message"]
    with tenant_context(shop):
        assert not Order.objects.filter(external_id__in=["O9", "O10"]).exists()
    ok = push(client_with(acme_key), "orders", records[:1])
    assert ok.status_code == 200
    assert ok.json()["created"] == 1


def test_a_dry_run_checks_and_writes_nothing(shop, acme_key):
    response = push(client_with(acme_key), "customers", NEW_CUSTOMERS, dry_run=True)
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["written"] is False
    with tenant_context(shop):
        assert not Customer.objects.filter(external_id="N1").exists()


def test_unknown_columns_are_reported_as_warnings(acme_key):
    body = push(client_with(acme_key), "customers", [{"external_id": "W", "name": "W", "x": 1}])
    assert body.status_code == 200
    assert body.json()["warnings"] == [
        "column 'x' is not used by a customers import and is ignored"
    ]


@pytest.mark.parametrize(
    "payload, expected_error",
    [
        (
            {"records": "C1"},
            {"line": 0, "column": "records", "message": "Expected a list of records."},
        ),
        ({"records": []}, {"line": 0, "column": "records", "message": "Give at least one record."}),
        ({}, {"line": 0, "column": "records", "message": "This field is required."}),
        (
            {"records": [{"external_id": "A", "name": "A"}, ["B", "b"]]},
            {"line": 2, "column": "", "message": "a record must be an object of column: value"},
        ),
        (
            {"records": [{"external_id": "A", "name": {"nl": "A"}}]},
            {
                "line": 1,
                "column": "name",
                "message": "a value must be a string, number, true/false or null",
            },
        ),
        (
            {"records": [{"external_id": "A", "name": "A"}], "dry_run": "perhaps"},
            {"line": 0, "column": "dry_run", "message": "Must be a valid boolean."},
        ),
    ],
)
def test_a_malformed_push_is_a_400_in_the_importers_format(shop, acme_key, payload, expected_error):
    response = client_with(acme_key).post(
        "/t/acme/api/v1/import/customers/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [expected_error]
    assert body["written"] is False


def test_a_required_column_no_record_has_is_reported_once(acme_key):
    response = push(
        client_with(acme_key), "customers", [{"external_id": "A"}, {"external_id": "B"}]
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (1, "")
    assert error["message"].startswith("missing required column(s): name")


def test_malformed_json_is_a_400(acme_key):
    response = client_with(acme_key).post(
        "/t/acme/api/v1/import/customers/", "{records: [", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    listed = client_with(acme_key).post(
        "/t/acme/api/v1/import/customers/", NEW_CUSTOMERS, content_type="application/json"
    )
    assert listed.status_code == 400
    assert listed.json()["errors"][0]["message"].startswith("Invalid data. Expected a dict")


def test_an_unknown_kind_is_404(acme_key):
    response = push(client_with(acme_key), "invoices", NEW_CUSTOMERS)
    assert response.status_code == 404
    assert "Unknown kind" in response.json()["detail"]


def test_too_many_records_is_413(acme_key, monkeypatch):
    monkeypatch.setattr(customers_api, "MAX_RECORDS", 2)
    response = push(client_with(acme_key), "customers", NEW_CUSTOMERS)
    assert response.status_code == 413
    assert "at most 2 per request" in response.json()["detail"]


def test_a_push_may_be_larger_than_djangos_form_limit(shop, acme_key, settings):
    records = [{"external_id": f"L{i}", "name": f"L{i}", "notes": "n" * 10_000} for i in range(300)]
    body_bytes = len(json.dumps({"records": records}))
    assert body_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = push(client_with(acme_key), "customers", records)
    assert response.status_code == 200
    assert response.json()["created"] == 300


def test_a_body_over_the_limit_is_413(acme_key, monkeypatch):
    monkeypatch.setattr(customers_api, "MAX_BODY_BYTES", 100)
    response = push(client_with(acme_key), "customers", NEW_CUSTOMERS)
    assert response.status_code == 413
    assert "Split the push" in response.json()["detail"]


def test_a_session_sees_through_the_api_what_the_pages_show(shop, rep_client, board_client):
    """A rep's session reads their own accounts and those accounts' orders; the board (like a
    token) reads every customer of the company."""
    mine = rep_client.get("/t/acme/api/v1/customers/")
    assert mine.status_code == 200 and names(mine) == ["Van Dijk Installaties"]
    assert rep_client.get("/t/acme/api/v1/customers/C2/").status_code == 404
    orders = rep_client.get("/t/acme/api/v1/orders/").json()["results"]
    assert sorted(o["external_id"] for o in orders) == ["O1", "O2", "R1"]
    assert rep_client.get("/t/acme/api/v1/orders/O3/").status_code == 404
    everyone = board_client.get("/t/acme/api/v1/customers/")
    assert names(everyone) == ["Jansen Techniek", "Müller GmbH", "Van Dijk Installaties"]


def test_a_rep_session_may_read_but_not_push(shop, rep_client):
    assert rep_client.get("/t/acme/api/v1/orders/").status_code == 200
    response = push(rep_client, "customers", NEW_CUSTOMERS)
    assert response.status_code == 403
    with tenant_context(shop):
        assert not Customer.objects.filter(external_id="N1").exists()


def test_an_admin_session_may_push_with_the_csrf_token(shop, members):
    client = Client(enforce_csrf_checks=True)
    client.force_login(members[Role.ADMIN].user)
    assert push(client, "customers", NEW_CUSTOMERS).status_code == 403  # no CSRF token
    client.get("/t/acme/glossary/")  # any page sets the CSRF cookie
    response = client.post(
        "/t/acme/api/v1/import/customers/",
        {"records": NEW_CUSTOMERS},
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 200
    assert response.json()["created"] == 3


def test_a_token_with_a_creator_pushes_like_one_without(shop, members):
    _, key = token_for(shop, user=members[Role.REP].user)
    assert push(client_with(key), "customers", NEW_CUSTOMERS).status_code == 200


# --- The base viewset, schema and docs --------------------------------------------------------


def test_a_viewset_cannot_replace_the_tenant_filtered_queryset():
    with pytest.raises(TypeError, match="scoped_queryset"):

        class Sneaky(TenantScopedViewSet):
            model = Customer

            def get_queryset(self):
                return Customer.objects.all()


def test_the_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    assert "/t/{tenant_slug}/api/v1/customers/{external_id}/:" in schema
    assert "/t/{tenant_slug}/api/v1/import/{kind}/:" in schema
    assert "name: tenant_slug" in schema


def test_the_schema_and_docs_are_served_without_inline_scripts_or_styles(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/t/{tenant_slug}/api/v1/orders/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts)
    assert "cdn" not in html.lower()
    assert "<style" not in html  # CSP: style-src 'self'
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()


# --- The command ------------------------------------------------------------------------------


def test_the_command_creates_lists_and_revokes_tokens(shop, members):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api_token",
        "--tenant",
        "acme",
        "--name",
        "ERP",
        "--user",
        "admin-user",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    assert key.startswith("kt_")
    assert "shown only now" in err.getvalue()
    assert client_with(key).get("/t/acme/api/v1/customers/").status_code == 200

    listing = io.StringIO()
    call_command("api_token", "--tenant", "acme", "--list", stdout=listing)
    assert key[:8] in listing.getvalue() and "ERP" in listing.getvalue()
    assert key not in listing.getvalue()

    call_command("api_token", "--tenant", "acme", "--revoke", key[:8], stdout=io.StringIO())
    assert client_with(key).get("/t/acme/api/v1/customers/").status_code == 401
    with tenant_context(shop):
        assert ApiToken.objects.get().revoked_at <= timezone.now()


def test_the_command_refuses_a_user_of_another_tenant(shop, other_member):
    with pytest.raises(CommandError, match="not a member"):
        call_command("api_token", "--tenant", "acme", "--name", "x", "--user", "globex-admin")
