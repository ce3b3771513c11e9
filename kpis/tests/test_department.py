"""The department page: KPI tree with status and pacing, inline edits, rep grid, funnel,
breakdowns, check-ins, reviews; constant queries; other tenants' objects are 404."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.models import CheckIn, Kpi, Target
from kpis.tests.pages_data import build, paced_change, paced_status, row_text
from personas.models import Persona
from portal.models import Department, DepartmentMember, Role
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db

URL = "/t/acme/department/"


def text(response) -> str:
    """The page as a person reads it: tags dropped, whitespace collapsed."""
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html)


@pytest.fixture
def data(tenant, members):
    return build(tenant, members, reps=2)


def test_head_sees_the_tree_with_values_targets_status_and_changes(data, head_client):
    html = head_client.get(URL).content.decode()
    share = row_text(html, data["share"].pk)
    # 41.5 between minimum 40 and stretch 45: at risk; +2.5 points vs 39, +11.5 vs 30
    assert "41.5 %" in share and "40.0 % – 45.0 %" in share and "At risk" in share
    assert "▲ 2.5 pt" in share and "▲ 11.5 pt" in share
    assert "Hanna Bakker" in share and "✔ SMART" in share
    revenue = row_text(html, data["revenue"].pk)
    expected = paced_status(600000, 900000, 1000000, data["today"])
    assert "€ 600,000" in revenue and expected in revenue and "expected today" in revenue
    # vs 800,000 and 500,000 for whole months, scaled to the part of this month passed
    assert paced_change(600000, 800000, data["today"]) in revenue
    assert paced_change(600000, 500000, data["today"]) in revenue
    visits = row_text(html, data["visits"].pk)
    assert "no target yet" in visits and "No data" in visits and "lacks: target" in visits
    # the child sits under its parent
    assert html.index(f'id="kpi-row-{data["share"].pk}"') < html.index(
        f'id="kpi-row-{data["revenue"].pk}"'
    )


def test_the_rep_grid_colours_and_names_each_reps_status(data, head_client):
    html = head_client.get(URL).content.decode()
    grid = re.sub(
        r"\s+",
        " ",
        re.sub(
            r"<[^>]+>",
            " ",
            html.split('class="table table-compact rep-grid"')[1].split("</table>")[0],
        ),
    )
    assert "Ruben Visser 46.0 % ● On track" in grid
    assert "Extra 0 38.0 % ○ Off track" in grid
    assert "cell-green" in html and "cell-red" in html


def test_funnel_countries_and_channels_come_from_stored_values(data, head_client):
    page = text(head_client.get(URL))
    # sessions 1000 -> 200 (20 %) -> 100 (50 %) -> 50 (50 %) -> 20 (40 %) -> 5 (25 %)
    assert "First identifier 200 20.0 %" in page
    assert "Sales-qualified lead 20 40.0 %" in page and "Won 5 25.0 %" in page
    assert "NL 45.0 %" in page and "BE 30.0 %" in page
    assert "web € 300 75.0 %" in page and "phone € 100 25.0 %" in page  # no labels stored


def test_inline_edit_changes_target_and_owner_and_the_status_follows(data, head_client, tenant):
    url = f"/t/acme/department/{data['department'].pk}/kpis/{data['share'].pk}/edit/"
    form = head_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="minimum"' in form and 'value="40"' in form
    rep = data["reps"][0]
    response = head_client.post(
        url, {"owner": rep.pk, "minimum": "30", "stretch": "41"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    row = row_text(response.content.decode(), data["share"].pk)
    assert "On track" in row and "30.0 % – 41.0 %" in row and "Ruben Visser" in row
    with tenant_context(tenant):
        target = Target.objects.get(kpi=data["share"], scope="company")
        assert (target.minimum, target.stretch) == (Decimal(30), Decimal(41))
        assert Kpi.objects.get(pk=data["share"].pk).owner_id == rep.pk


@pytest.mark.parametrize(
    ("minimum", "stretch", "message"),
    [
        ("50", "45", "Minimum: For a KPI where higher is better, the minimum cannot exceed"),
        ("abc", "45", "Minimum: Enter a number."),
        ("", "45", "Minimum: Give the minimum as well as the stretch."),
    ],
)
def test_bad_input_is_422_names_the_field_and_stores_nothing(
    data, head_client, tenant, minimum, stretch, message
):
    url = f"/t/acme/department/{data['department'].pk}/kpis/{data['share'].pk}/edit/"
    response = head_client.post(
        url,
        {"owner": data["reps"][0].pk, "minimum": minimum, "stretch": stretch},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and f'value="{minimum}"' in body  # typed input kept
    with tenant_context(tenant):
        target = Target.objects.get(kpi=data["share"], scope="company")
        assert (target.minimum, target.stretch) == (Decimal(40), Decimal(45))
        assert Kpi.objects.get(pk=data["share"].pk).owner_id != data["reps"][0].pk  # no owner


def test_check_ins_are_added_with_an_action_and_listed(data, head_client, tenant):
    url = f"/t/acme/department/{data['department'].pk}/checkins/"
    response = head_client.post(url, {"kpi": data["revenue"].pk, "action": "stop", "comment": ""})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    response = head_client.post(
        url, {"kpi": data["revenue"].pk, "action": "stop", "comment": "Stop discounts by phone"}
    )
    assert response.status_code == 302
    with tenant_context(tenant):
        assert CheckIn.objects.filter(kpi=data["revenue"], action="stop").count() == 1
    assert "Stop Revenue : Stop discounts by phone" in text(head_client.get(URL))


def test_reviews_list_due_kpis_and_personas_and_record_who_and_when(
    data, head_client, tenant, members
):
    with tenant_context(tenant):
        persona = Persona.objects.create(tenant=tenant, name="Webshop-installateur")
        Persona.objects.filter(pk=persona.pk).update(
            created_at=timezone.now() - timezone.timedelta(days=400)
        )
    page = text(head_client.get(URL))
    section = page.split("Due for review")[1].split("Acquisition funnel")[0]
    assert (
        "Revenue" in section and "Customer visits" in section and "Webshop-installateur" in section
    )
    assert "E-commerce share" not in section  # reviewed in 60 days
    dept = data["department"].pk
    head_client.post(f"/t/acme/department/{dept}/reviews/kpis/{data['revenue'].pk}/")
    head_client.post(f"/t/acme/department/{dept}/reviews/personas/{persona.pk}/")
    with tenant_context(tenant):
        revenue = Kpi.objects.get(pk=data["revenue"].pk)
        assert revenue.reviewed_by == members[Role.HEAD].user
        assert revenue.reviewed_at is not None
        assert revenue.review_date > data["today"]  # a quarter later
        assert Persona.objects.get(pk=persona.pk).last_reviewed_on == data["today"]
    section = text(head_client.get(URL)).split("Due for review")[1].split("Acquisition")[0]
    assert "Revenue" not in section and "Webshop-installateur" not in section


def test_a_head_of_two_departments_switches_between_them(data, head_client, tenant, members):
    with tenant_context(tenant):
        other = Department.objects.create(tenant=tenant, name="Utiliteit")
        DepartmentMember.objects.create(
            tenant=tenant, membership=members[Role.HEAD], department=other
        )
        Kpi.objects.create(tenant=tenant, name="Uptime", department=other, unit="percent")
    page = text(head_client.get(URL))
    assert "Installateurs" in page and "Uptime" not in page
    page = text(head_client.get(f"{URL}?department={other.pk}"))
    assert "Uptime" in page and "Customer visits" not in page


def test_the_page_reads_a_constant_number_of_queries(tenant, members, head_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert head_client.get(URL).status_code == 200
        return len(queries)

    build(tenant, members, reps=1)
    few = count()
    with tenant_context(tenant):
        Kpi.objects.filter(tenant=tenant).delete()
        Department.objects.filter(tenant=tenant).delete()
    from customers.models import Customer

    with tenant_context(tenant):
        Customer.objects.filter(tenant=tenant).delete()
    build_again = build(tenant, members, reps=6, extra_kpis=12, extra_customers=30)
    assert len(build_again["reps"]) == 6
    assert count() == few


def test_only_heads_open_it_and_foreign_objects_are_404(
    data, head_client, board_client, other_tenant, outsider_client
):
    assert board_client.get(URL).status_code == 403
    assert outsider_client.get(URL).status_code == 404
    with tenant_context(other_tenant):
        foreign = Kpi.objects.create(tenant=other_tenant, name="Geheim")
        foreign_dept = Department.objects.create(tenant=other_tenant, name="Elders")
    dept = data["department"].pk
    assert head_client.get(f"/t/acme/department/{dept}/kpis/{foreign.pk}/edit/").status_code == 404
    assert head_client.get(f"{URL}?department={foreign_dept.pk}").status_code == 404
    response = head_client.post(f"/t/acme/department/{foreign_dept.pk}/checkins/", {})
    assert response.status_code == 404


def test_a_head_without_department_is_told_what_to_do(tenant, members, head_client):
    assert "You head no department yet" in text(head_client.get(URL))


def test_kpis_without_values_say_the_recompute_is_pending(tenant, members, head_client):
    with tenant_context(tenant):
        dept = Department.objects.create(tenant=tenant, name="Nieuw")
        DepartmentMember.objects.create(
            tenant=tenant, membership=members[Role.HEAD], department=dept
        )
        Kpi.objects.create(tenant=tenant, name="Webshop share", department=dept)
    assert "Recompute pending" in text(head_client.get(URL))
