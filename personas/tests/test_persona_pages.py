"""Persona pages: every role reads, only admins change; other tenants' personas are 404."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from customers.models import Channel, Customer, CustomerScore
from kpis.periods import add_months
from personas.models import Persona, PersonaRule, PersonaSnapshot, PersonaVersion
from personas.services import behaviour_refresh, personas_assign
from personas.tests.helpers import channels, customer, order, persona
from portal.models import JobRun, Role
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def dutch(tenant, members):
    with tenant_context(tenant):
        ch = channels(tenant)
        for name, country, employees in [("A", "NL", 10), ("B", "NL", 80), ("C", "BE", 80)]:
            c = customer(tenant, name, country=country, employees=employees)
            order(tenant, c, ch["web"], "1000", day=date.today() - timedelta(days=30))
        p = persona(tenant, "Dutch installer", 1, (1, "country", "eq", "NL"))
        p.owner = members[Role.HEAD]
        p.save(update_fields=["owner"])
        return p


@pytest.fixture
def foreign(other_tenant):
    with tenant_context(other_tenant):
        return persona(other_tenant, "Geheim", 1, (1, "country", "eq", "DK"))


def form_data(**overrides) -> dict:
    data = {
        "name": "Digital buyer",
        "icon": "💻",
        "summary": "Orders online, rarely calls.",
        "priority": "5",
        "owner": "",
        "review_interval_days": "180",
        "last_reviewed_on": "",
        "description": "",
        "needs": "Fast reordering",
        "pains": "",
        "buying_motives": "",
        "preferred_channels": "web, app",
        "moment_ordering": "Reorders from history",
        "rules-TOTAL_FORMS": "3",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "30",
        "rules-0-group": "1",
        "rules-0-field": "country",
        "rules-0-operator": "eq",
        "rules-0-value": "NL",
        "rules-1-group": "1",
        "rules-1-field": "employees",
        "rules-1-operator": "gte",
        "rules-1-value": "50",
        "rules-2-group": "1",
        "rules-2-field": "",
        "rules-2-operator": "eq",
        "rules-2-value": "",
    }
    data.update(overrides)
    return data


def test_every_role_reads_the_list_and_a_persona(dutch, role_clients):
    for client in role_clients.values():
        html = client.get("/t/acme/personas/").content.decode()
        assert "Dutch installer" in html
        page = client.get(f"/t/acme/personas/{dutch.pk}/")
        assert page.status_code == 200
        assert "Country = NL" in page.content.decode()


def test_only_admins_see_edit_controls(dutch, rep_client, admin_client_):
    assert "New persona" not in rep_client.get("/t/acme/personas/").content.decode()
    assert "New persona" in admin_client_.get("/t/acme/personas/").content.decode()
    assert (
        f"/personas/{dutch.pk}/edit/"
        not in rep_client.get(f"/t/acme/personas/{dutch.pk}/").content.decode()
    )


@pytest.mark.parametrize("role", [Role.REP, Role.HEAD, Role.BOARD])
def test_other_roles_cannot_change_personas(role, dutch, role_clients):
    client = role_clients[role]
    pk = dutch.pk
    assert client.get("/t/acme/personas/new/").status_code == 403
    assert client.post("/t/acme/personas/new/", form_data()).status_code == 403
    assert client.get(f"/t/acme/personas/{pk}/edit/").status_code == 403
    assert client.post(f"/t/acme/personas/{pk}/edit/", form_data()).status_code == 403
    assert client.post("/t/acme/personas/match/", form_data()).status_code == 403
    assert client.get("/t/acme/personas/import/").status_code == 403
    assert client.post("/t/acme/personas/import/").status_code == 403
    assert client.post(f"/t/acme/personas/{pk}/reviewed/").status_code == 403
    assert client.post(f"/t/acme/personas/{pk}/delete/").status_code == 403
    with tenant_context(dutch.tenant):
        assert Persona.objects.get(pk=pk).name == "Dutch installer"


def test_another_tenants_persona_is_404(tenant, dutch, foreign, admin_client_, outsider_client):
    for url in (f"/t/acme/personas/{foreign.pk}/", f"/t/acme/personas/{foreign.pk}/edit/"):
        response = admin_client_.get(url)
        assert response.status_code == 404
        assert b"Geheim" not in response.content
    assert (
        admin_client_.post(f"/t/acme/personas/{foreign.pk}/edit/", form_data()).status_code == 404
    )
    assert admin_client_.post(f"/t/acme/personas/{foreign.pk}/reviewed/").status_code == 404
    assert admin_client_.post(f"/t/acme/personas/{foreign.pk}/delete/").status_code == 404
    assert outsider_client.get(f"/t/acme/personas/{dutch.pk}/").status_code == 404
    assert outsider_client.post("/t/acme/personas/match/", form_data()).status_code == 404
    with tenant_context(foreign.tenant):
        assert Persona.objects.get(pk=foreign.pk).name == "Geheim"


def test_an_admin_creates_a_persona_with_rules_and_history(tenant, dutch, admin_client_):
    response = admin_client_.post(
        "/t/acme/personas/new/", form_data(), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    with tenant_context(tenant):
        created = Persona.objects.get(name="Digital buyer")
        assert response["HX-Redirect"] == f"/t/acme/personas/{created.pk}/"
        rules = list(created.rules.values_list("field", "operator", "value"))
        assert rules == [("country", "eq", "NL"), ("employees", "gte", "50")]
        assert created.journey_notes == {"ordering": "Reorders from history"}
        version = PersonaVersion.objects.get(persona=created)
        assert version.changed_by.username == "admin-user"
        assert version.changes["name"] == [None, "Digital buyer"]


def test_editing_records_what_changed(tenant, dutch, admin_client_):
    data = form_data(name="Dutch installer")
    assert admin_client_.post(f"/t/acme/personas/{dutch.pk}/edit/", data).status_code == 302
    with tenant_context(tenant):
        version = PersonaVersion.objects.filter(persona=dutch).first()
        assert version.changes["priority"] == [1, 5]
        assert version.changes["rules"] == [
            ["1: Country = NL"],
            ["1: Country = NL", "1: Employees ≥ 50"],
        ]
        assert "name" not in version.changes
        assert PersonaRule.objects.filter(persona=dutch).count() == 2
    html = admin_client_.get(f"/t/acme/personas/{dutch.pk}/").content.decode()
    assert "Priority</span>: 1 → 5" in html and "admin-user" in html
    assert "Rules</span>: 1: Country = NL → 1: Country = NL; 1: Employees ≥ 50" in html


def test_a_bad_rule_comes_back_with_the_typed_input_and_422(dutch, admin_client_):
    data = form_data(**{"rules-1-value": "lots"})
    response = admin_client_.post("/t/acme/personas/new/", data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "is not a number" in html and 'value="lots"' in html
    assert "<html" not in html  # the form partial only


def test_the_live_count_evaluates_the_unsaved_rules(tenant, dutch, admin_client_):
    html = admin_client_.post("/t/acme/personas/match/", form_data()).content.decode()
    assert 'data-customers="0"' in html and "No customer behaviour stored yet" in html
    with tenant_context(tenant):
        behaviour_refresh(tenant=tenant, as_of=date.today())  # the nightly step
    response = admin_client_.post(
        "/t/acme/personas/match/", form_data(), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'data-customers="1"' in response.content.decode()
    assert "€ 1,000" in response.content.decode() or "€1,000" in response.content.decode()
    wider = form_data(**{"rules-1-field": ""})
    assert (
        'data-customers="2"'
        in admin_client_.post("/t/acme/personas/match/", wider).content.decode()
    )
    broken = form_data(**{"rules-1-value": "lots"})
    html = admin_client_.post("/t/acme/personas/match/", broken).content.decode()
    assert 'data-customers="2"' in html and "rows with errors are left out" in html


def test_recompute_now_runs_the_tenant_job_and_the_list_shows_sizes(
    tenant, dutch, admin_client_, django_capture_on_commit_callbacks
):
    html = admin_client_.get("/t/acme/personas/").content.decode()
    assert 'action="/t/acme/recompute/"' in html and "not been assigned yet" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post("/t/acme/recompute/")
    with tenant_context(tenant):
        job = JobRun.objects.get(kind="recompute")
        assert job.status == "succeeded"
        assert job.counts["steps"]["personas"]["assigned"] == 2
        assert job.counts["steps"]["personas"]["unassigned"] == 1
    assert response["Location"] == f"/t/acme/jobs/{job.pk}/"
    html = admin_client_.get("/t/acme/personas/").content.decode()
    assert "€ 2,000" in html or "€2,000" in html  # A and B, 1,000 each
    assert "No persona" in html and "last assigned" in html


def test_overdue_personas_are_flagged_to_their_owner_and_on_the_list(
    tenant, dutch, head_client, admin_client_
):
    with tenant_context(tenant):
        dutch.last_reviewed_on = date.today() - timedelta(days=400)
        dutch.save(update_fields=["last_reviewed_on"])
    assert "due for review" in head_client.get("/t/acme/personas/").content.decode()
    assert "Review due" in admin_client_.get("/t/acme/personas/").content.decode()
    admin_client_.post(f"/t/acme/personas/{dutch.pk}/reviewed/")
    assert "Review due" not in admin_client_.get("/t/acme/personas/").content.decode()
    with tenant_context(tenant):
        review = PersonaVersion.objects.filter(persona=dutch).first()
        assert review.changed_by.username == "admin-user"  # who
        assert review.changes == {  # what, and `changed_at` says when
            "last_reviewed_on": [
                (date.today() - timedelta(days=400)).isoformat(),
                date.today().isoformat(),
            ]
        }


def test_add_a_rule_returns_the_form_with_one_more_row_and_saves_nothing(dutch, admin_client_):
    response = admin_client_.post(
        "/t/acme/personas/new/", form_data(add_rule="1"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="rules-TOTAL_FORMS" value="4"' in html and 'name="rules-3-field"' in html
    assert 'value="Digital buyer"' in html  # typed input kept
    with tenant_context(dutch.tenant):
        assert not Persona.objects.filter(name="Digital buyer").exists()


def test_the_live_count_says_how_many_a_persona_that_goes_first_takes(tenant, dutch, admin_client_):
    with tenant_context(tenant):
        personas_assign(tenant=tenant)  # Dutch installer (priority 1) has A and B
    data = form_data(priority="5", **{"rules-1-field": ""})  # NL: A and B
    html = admin_client_.post("/t/acme/personas/match/", data).content.decode()
    assert 'data-customers="2"' in html
    assert "2 of them have a persona that goes first" in html
    first = form_data(priority="0", **{"rules-1-field": ""})
    assert "goes first" not in admin_client_.post("/t/acme/personas/match/", first).content.decode()
    own = form_data(priority="5", persona_id=str(dutch.pk), **{"rules-1-field": ""})
    assert "goes first" not in admin_client_.post("/t/acme/personas/match/", own).content.decode()


def test_persona_pages_show_clv_churn_trend_and_movers(tenant, dutch, board_client):
    today = date.today()
    with tenant_context(tenant):
        a, b, c = (Customer.objects.get(name=n) for n in "ABC")
        for customer, clv, risk in [(a, 5000.0, 0.1), (b, 3000.0, 0.3), (c, 100.0, 0.9)]:
            CustomerScore.objects.create(
                tenant=tenant, customer=customer, clv_12m=clv, churn_risk=risk, as_of=today
            )
        last_month = add_months(today.replace(day=1), -1)
        # Last month: A was the Dutch installer, C too (it has left since), B had none.
        for customer, persona in [(a, dutch), (b, None), (c, dutch)]:
            PersonaSnapshot.objects.create(
                tenant=tenant,
                month=last_month,
                customer=customer,
                persona=persona,
                revenue_12m=Decimal(800),
                online_revenue_12m=Decimal(400),
            )
        personas_assign(tenant=tenant)
    html = board_client.get("/t/acme/personas/").content.decode()
    assert "€ 8,000" in html or "€8,000" in html  # CLV of A and B
    assert "20.0 %" in html  # mean churn risk of A and B
    assert "90.0 %" in html  # C has no persona
    page = board_client.get(f"/t/acme/personas/{dutch.pk}/").content.decode()
    assert "persona-trend-data" in page and "persona-trend.js" in page
    assert '"customers": [2, 2]' in page  # last month 2 (A, C), now 2 (A, B)
    joined = page[page.index("1 joined") : page.index("1 left")]
    assert "B" in joined and "no persona" in joined
    left = page[page.index("1 left") :]
    assert "<li>C" in left


def test_the_list_sorts_by_a_column(tenant, dutch, rep_client):
    with tenant_context(tenant):
        persona(tenant, "Belgian", 2, (1, "country", "eq", "BE"))
        personas_assign(tenant=tenant)
    by_priority = rep_client.get("/t/acme/personas/").content.decode()
    assert by_priority.index("Dutch installer") < by_priority.index("Belgian")
    by_name = rep_client.get("/t/acme/personas/?sort=name").content.decode()
    assert by_name.index("Belgian") < by_name.index("Dutch installer")
    by_size = rep_client.get("/t/acme/personas/?sort=customers").content.decode()
    assert by_size.index("Dutch installer") < by_size.index("Belgian")


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_persona_pages_cost_the_same_queries_for_5_and_50_customers(tenant, dutch, board_client):
    def grow(start, end):
        with tenant_context(tenant):
            ch = {c.code: c for c in Channel.objects.all()}
            last_month = add_months(date.today().replace(day=1), -1)
            for i in range(start, end):
                c = customer(tenant, f"N{i}", country="NL" if i % 3 else "BE", employees=i)
                order(tenant, c, ch["web"], "100", day=date.today() - timedelta(days=5))
                CustomerScore.objects.create(
                    tenant=tenant, customer=c, clv_12m=10.0, churn_risk=0.5, as_of=date.today()
                )
                PersonaSnapshot.objects.create(
                    tenant=tenant, month=last_month, customer=c, persona=None
                )
            personas_assign(tenant=tenant)

    grow(0, 5)
    urls = ["/t/acme/personas/", f"/t/acme/personas/{dutch.pk}/"]
    few = [_page_queries(board_client, url) for url in urls]
    grow(5, 50)
    assert [_page_queries(board_client, url) for url in urls] == few


def test_the_review_notice_tag_flags_due_personas_to_owner_and_admin(tenant, dutch, members):
    with tenant_context(tenant):
        dutch.last_reviewed_on = date.today() - timedelta(days=400)
        dutch.save(update_fields=["last_reviewed_on"])
        persona(tenant, "Fresh", 2, (1, "country", "eq", "BE"))  # created today: not due
        page = Template("{% load personas_review %}{% persona_review_notice %}")

        def notice(role) -> str:
            return page.render(Context({"tenant": tenant, "membership": members[role]}))

        assert "You own personas that are due for review" in notice(Role.HEAD)
        assert "Dutch installer" in notice(Role.HEAD) and "Fresh" not in notice(Role.HEAD)
        assert "1 persona is past its review date" in notice(Role.ADMIN)
        assert "Hanna" in notice(Role.ADMIN) or "head-user" in notice(Role.ADMIN)
        assert notice(Role.REP).strip() == ""  # owns none
