"""Who gets in where: login, membership, tenant isolation (404), role navigation, CSRF."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Role
from portal.tenancy import tenant_context
from tests.factories import GlossaryTermFactory, JobRunFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPECTED_NAVIGATION = {
    Role.REP: ["My portfolio", "Customers", "KPIs", "Personas", "Roadmap", "Glossary"],
    Role.HEAD: ["Department", "Customers", "KPIs", "Personas", "Roadmap", "Glossary", "Jobs"],
    Role.BOARD: ["Board", "Customers", "KPIs", "Personas", "Roadmap", "Glossary"],
    Role.ADMIN: [
        "Board",
        "Customers",
        "KPIs",
        "Personas",
        "Roadmap",
        "Departments",
        "Glossary",
        "Members",
        "Imports",
        "Jobs",
        "Audit trail",
    ],
}

# Every page of the portal and the roles that may open it.
PAGES = {
    "portal:portfolio": {Role.REP},
    "portal:department": {Role.HEAD},
    "portal:board": {Role.BOARD, Role.ADMIN},
    "portal:departments": {Role.ADMIN},
    "portal:members": {Role.ADMIN},
    "portal:glossary": set(Role.values),
    "portal:jobs": {Role.ADMIN, Role.HEAD},
    "customers:imports": {Role.ADMIN},
    "kpis:list": set(Role.values),
    "customers:list": set(Role.values),
    "personas:list": set(Role.values),
    "personas:create": {Role.ADMIN},
    "roadmap:timeline": set(Role.values),
    "roadmap:create": {Role.ADMIN, Role.HEAD},  # a head proposes an idea
    "personas:import": {Role.ADMIN},
    "roadmap:import": {Role.ADMIN},
}


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert nav, "no main navigation on the page"
    return [unescape(label.strip()) for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(0))]


def test_anonymous_user_is_sent_to_login(tenant):
    response = Client().get("/t/acme/glossary/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/t/acme/glossary/" in response["Location"]


def test_login_page_renders_and_rejects_a_wrong_password(members):
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "rep-user", "password": "wrong"})
    assert response.status_code == 200
    assert "match. Please try again" in response.content.decode()


def test_login_with_one_membership_lands_in_the_role_page(members):
    client = Client()
    response = client.post(
        reverse("login"),
        {"username": "rep-user", "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/t/acme/portfolio/"
    # A Dutch company's pages are Dutch until the user picks another language.
    assert nav_labels(response.content.decode()) == [
        "Mijn portefeuille",
        "Klanten",
        "KPI's",
        "Persona's",
        "Roadmap",
        "Begrippenlijst",
    ]


def test_the_language_switcher_overrides_the_company_language(members):
    client = Client()
    client.force_login(members[Role.REP].user)
    client.post("/i18n/setlang/", {"language": "da", "next": "/t/acme/"})
    html = client.get("/t/acme/", follow=True).content.decode()
    assert nav_labels(html) == [
        "Min portefølje",
        "Kunder",
        "KPI'er",
        "Personaer",
        "Køreplan",
        "Ordliste",
    ]
    assert '<html lang="da">' in html


def test_user_with_several_memberships_picks_a_tenant(tenant, other_tenant, members):
    user = members[Role.BOARD].user
    with tenant_context(other_tenant):
        MembershipFactory(tenant=other_tenant, user=user, role=Role.REP)
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/t/acme/"' in body and 'href="/t/globex/"' in body
    # and the role follows the tenant
    assert client.get("/t/globex/", follow=True).redirect_chain[-1][0] == "/t/globex/portfolio/"
    assert client.get("/t/acme/", follow=True).redirect_chain[-1][0] == "/t/acme/board/"


def test_user_without_membership_is_refused(tenant):
    client = Client()
    client.force_login(UserFactory(username="stranger"))
    response = client.get("/")
    assert response.status_code == 403
    assert "No access yet" in response.content.decode()
    assert client.get("/t/acme/").status_code == 404
    assert client.get("/t/acme/glossary/").status_code == 404


@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_member_of_another_tenant_gets_404(url_name, members, outsider_client):
    url = reverse(url_name, kwargs={"tenant_slug": "acme"})
    response = outsider_client.get(url)
    assert response.status_code == 404
    assert b"Acme" not in response.content


def test_unknown_tenant_is_404_for_a_logged_in_user(rep_client):
    assert rep_client.get("/t/no-such-tenant/").status_code == 404


def test_another_tenants_objects_are_404_inside_ones_own_tenant(
    tenant, other_tenant, admin_client_
):
    foreign_term = GlossaryTermFactory(tenant=other_tenant, term="Geheim")
    foreign_job = JobRunFactory(tenant=other_tenant)
    for url in (
        f"/t/acme/glossary/{foreign_term.pk}/",
        f"/t/acme/jobs/{foreign_job.pk}/",
    ):
        response = admin_client_.get(url)
        assert response.status_code == 404, url
        assert b"Geheim" not in response.content
    assert admin_client_.post(f"/t/acme/glossary/{foreign_term.pk}/delete/").status_code == 404
    with tenant_context(other_tenant):
        assert type(foreign_term).objects.filter(pk=foreign_term.pk).exists()


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_only_its_navigation(role, role_clients):
    response = role_clients[role].get("/t/acme/", follow=True)
    assert response.status_code == 200
    assert nav_labels(response.content.decode()) == EXPECTED_NAVIGATION[role]


@pytest.mark.parametrize("url_name", sorted(PAGES))
@pytest.mark.parametrize("role", Role.values)
def test_role_matrix_of_portal_pages(url_name, role, role_clients):
    response = role_clients[role].get(reverse(url_name, kwargs={"tenant_slug": "acme"}))
    expected = 200 if role in PAGES[url_name] else 403
    assert response.status_code == expected


def test_navigation_links_only_to_pages_the_role_may_open(role_clients):
    for role, client in role_clients.items():
        html = client.get("/t/acme/", follow=True).content.decode()
        nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
        for href in re.findall(r'href="([^"]+)"', nav):
            assert client.get(href).status_code == 200, (role, href)


def test_csrf_is_enforced_for_htmx_posts(members):
    client = Client(enforce_csrf_checks=True)
    client.force_login(members[Role.ADMIN].user)
    page = client.get("/t/acme/glossary/")
    token = client.cookies["csrftoken"].value
    assert "X-CSRFToken" in page.content.decode()  # htmx sends it from <body hx-headers>
    data = {"term": "Active customer", "definition": "Ordered in the last 12 months."}
    refused = client.post("/t/acme/glossary/", data, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    accepted = client.post(
        "/t/acme/glossary/", data, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    assert accepted["HX-Redirect"] == "/t/acme/glossary/"
    assert "Active customer" in client.get("/t/acme/glossary/").content.decode()


def test_pages_carry_security_headers(rep_client):
    response = rep_client.get("/t/acme/glossary/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_sessions_expire(members, settings):
    client = Client()
    client.post(reverse("login"), {"username": "rep-user", "password": "correct-horse-battery"})
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert client.session.get_expire_at_browser_close()
