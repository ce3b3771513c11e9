"""Roadmap: saving with history, the quarter timeline, realised vs coming, pages and roles."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import Kpi
from portal.models import Department, DepartmentMember, Role
from portal.tenancy import tenant_context
from roadmap.models import RoadmapChange, RoadmapItem
from roadmap.selectors import roadmap_summary, roadmap_timeline
from roadmap.services import roadmap_item_save

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 5, 20)  # 2026 Q2


def item(tenant, title, start, end, status="planned", **fields) -> RoadmapItem:
    return roadmap_item_save(
        tenant=tenant,
        item=None,
        data={
            "title": title,
            "start_quarter": start,
            "end_quarter": end,
            "status": status,
            **fields,
        },
        today=AS_OF,
    )


@pytest.fixture
def plan(in_tenant):
    t = in_tenant
    adoption = Kpi.objects.create(tenant=t, name="Online adoption")
    return {
        "tenant": t,
        "adoption": adoption,
        "shop": item(
            t,
            "New web shop",
            date(2025, 10, 1),
            date(2026, 1, 1),
            "done",
            done_on=date(2026, 2, 10),
        ),
        "app": item(
            t, "Ordering app", date(2026, 1, 1), date(2026, 6, 30), "in_progress", progress=40
        ),
        "edi": item(t, "EDI for installers", date(2026, 7, 1), date(2026, 9, 1)),
        "late": item(t, "Punch-out catalogue", date(2025, 7, 1), date(2025, 12, 31)),
        "idea": item(t, "Chat on the site", date(2027, 1, 1), date(2027, 3, 1), "idea"),
        "dropped": item(t, "Fax portal", date(2026, 1, 1), date(2026, 3, 1), "dropped"),
    }


def test_saving_normalises_quarters_and_done_items(in_tenant):
    saved = item(in_tenant, "Web shop", date(2026, 2, 17), date(2026, 8, 30), "done")
    assert (saved.start_quarter, saved.end_quarter) == (date(2026, 1, 1), date(2026, 7, 1))
    assert saved.progress == 100 and saved.done_on == AS_OF
    assert saved.quarters == "2026 Q1 – 2026 Q3"
    reopened = roadmap_item_save(
        tenant=in_tenant, item=saved, data={"status": "in_progress", "progress": 80}
    )
    assert reopened.done_on is None and reopened.progress == 80


def test_an_end_before_the_start_is_refused(in_tenant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        item(in_tenant, "Backwards", date(2026, 7, 1), date(2026, 1, 1))
    assert not RoadmapItem.objects.exists()


def test_every_change_is_recorded_with_who_and_what(plan, members):
    admin = members[Role.ADMIN].user
    app = plan["app"]
    roadmap_item_save(
        tenant=plan["tenant"],
        item=app,
        data={"progress": 70, "owner": members[Role.HEAD]},
        kpi_effects={plan["adoption"]: "+5 pt"},
        user=admin,
    )
    latest = RoadmapChange.objects.filter(item=app).first()
    assert latest.changed_by == admin
    assert latest.changes == {
        "owner": [None, "head-user"],
        "progress": [40, 70],
        "kpis": [{}, {"Online adoption": "+5 pt"}],
    }
    roadmap_item_save(tenant=plan["tenant"], item=app, data={"progress": 70}, user=admin)
    assert RoadmapChange.objects.filter(item=app).count() == 2  # no change, no entry


def test_the_timeline_puts_items_in_their_end_quarter(plan):
    quarters = roadmap_timeline(tenant=plan["tenant"], as_of=AS_OF)
    labels = [q.label for q in quarters]
    assert labels == [
        "2025 Q3",
        "2025 Q4",
        "2026 Q1",
        "2026 Q2",
        "2026 Q3",
        "2026 Q4",
        "2027 Q1",
    ]
    by_label = {q.label: [i.title for i in q.items] for q in quarters}
    assert by_label["2025 Q4"] == ["Punch-out catalogue"]
    assert by_label["2026 Q1"] == ["New web shop"]  # the dropped fax portal is left out
    assert by_label["2026 Q4"] == []
    assert [q.label for q in quarters if q.is_current] == ["2026 Q2"]
    dropped = roadmap_timeline(tenant=plan["tenant"], as_of=AS_OF, status="dropped")
    assert [i.title for q in dropped for i in q.items] == ["Fax portal"]


def test_the_summary_splits_realised_in_progress_coming_and_late(plan):
    summary = roadmap_summary(tenant=plan["tenant"], as_of=AS_OF)
    titles = {
        key: [i.title for i in summary[key]]
        for key in ("realised", "in_progress", "coming", "late")
    }
    assert titles == {
        "realised": ["New web shop"],
        "in_progress": ["Ordering app"],
        "coming": ["EDI for installers", "Chat on the site"],
        "late": ["Punch-out catalogue"],
    }
    assert summary["counts"] == {
        "realised": 1,
        "in_progress": 1,
        "coming": 2,
        "late": 1,
        "total": 5,
    }
    assert summary["realised_share"] == 20
    assert summary["quarter"] == "2026 Q2"
    assert [i.title for i in summary["this_quarter"]] == ["Ordering app"]
    before = roadmap_summary(tenant=plan["tenant"], as_of=date(2026, 1, 31))
    assert before["counts"]["realised"] == 0  # done on 10 February


def test_the_summary_and_timeline_cost_the_same_queries_for_any_size(plan):
    def cost():
        with CaptureQueriesContext(connection) as queries:
            summary = roadmap_summary(tenant=plan["tenant"], as_of=AS_OF)
            for key in ("realised", "coming"):
                for i in summary[key]:
                    list(i.kpi_links.all())
                    str(i.owner and i.owner.display_name)
            roadmap_timeline(tenant=plan["tenant"], as_of=AS_OF)
        return len(queries)

    roadmap_item_save(
        tenant=plan["tenant"], item=plan["app"], data={}, kpi_effects={plan["adoption"]: "+2"}
    )
    few = cost()
    assert few == 6  # per page: items, their KPI links, those KPIs
    for n in range(20):
        saved = item(plan["tenant"], f"Item {n}", date(2026, 1, 1), date(2027, 1, 1))
        roadmap_item_save(
            tenant=plan["tenant"], item=saved, data={}, kpi_effects={plan["adoption"]: "up"}
        )
    assert cost() == few


def test_the_timeline_page_shows_quarters_summary_and_filters(plan, rep_client, monkeypatch):
    monkeypatch.setattr("roadmap.views.timezone.localdate", lambda *args, **kwargs: AS_OF)
    html = rep_client.get("/t/acme/roadmap/").content.decode()
    assert "2026 Q2" in html and "Ordering app" in html and "Fax portal" not in html
    assert 'class="summary-number light-green">1<' in html
    punch_out = html[html.index("Punch-out catalogue") :][:600]
    assert "badge-late" in punch_out  # planned to end in 2025 Q4, still open
    assert "badge-late" not in html[html.index("Ordering app") :][:600]
    html = rep_client.get("/t/acme/roadmap/?status=idea").content.decode()
    assert "Chat on the site" in html and "Ordering app" not in html


def test_every_role_reads_the_roadmap_and_an_item(plan, role_clients):
    for client in role_clients.values():
        assert "Ordering app" in client.get("/t/acme/roadmap/").content.decode()
        page = client.get(f"/t/acme/roadmap/{plan['app'].pk}/")
        assert page.status_code == 200 and "Ordering app" in page.content.decode()


def form(**overrides) -> dict:
    data = {
        "title": "Customer portal",
        "description": "Invoices and track & trace online.",
        "theme": "Self-service",
        "department": "",
        "owner": "",
        "start_quarter": "2026-07-01",
        "end_quarter": "2026-10-01",
        "status": "planned",
        "progress": "0",
        "done_on": "",
    }
    data.update(overrides)
    return data


def test_an_admin_adds_an_item_with_a_kpi_and_sees_its_history(plan, admin_client_):
    data = form(**{f"kpi_{plan['adoption'].pk}": "+3 pt"})
    response = admin_client_.post("/t/acme/roadmap/new/", data)
    assert response.status_code == 302
    with tenant_context(plan["tenant"]):
        created = RoadmapItem.objects.get(title="Customer portal")
        assert created.kpi_links.get().expected_effect == "+3 pt"
    response = admin_client_.post(
        f"/t/acme/roadmap/{created.pk}/edit/", form(status="in_progress", progress="30")
    )
    assert response.status_code == 302
    html = admin_client_.get(f"/t/acme/roadmap/{created.pk}/").content.decode()
    assert "Status</span>: Planned → In progress" in html
    assert "Linked KPIs</span>: Online adoption: +3 pt → —" in html
    assert "admin-user" in html


def test_a_bad_item_comes_back_with_the_error_and_422(plan, admin_client_):
    response = admin_client_.post(
        "/t/acme/roadmap/new/",
        form(end_quarter="2026-01-01", progress="130"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "The end comes before the start." in html
    assert "less than or equal to 100" in html
    with tenant_context(plan["tenant"]):
        assert not RoadmapItem.objects.filter(title="Customer portal").exists()


def test_a_head_proposes_an_idea_but_cannot_edit(plan, members, head_client):
    with tenant_context(plan["tenant"]):
        sales = Department.objects.create(tenant=plan["tenant"], name="Sales")
        DepartmentMember.objects.create(
            tenant=plan["tenant"], membership=members[Role.HEAD], department=sales
        )
    page = head_client.get("/t/acme/roadmap/new/").content.decode()
    assert "Propose an idea" in page and 'name="status"' not in page
    response = head_client.post(
        "/t/acme/roadmap/new/", form(status="done", progress="100", department=str(sales.pk))
    )
    assert response.status_code == 302
    with tenant_context(plan["tenant"]):
        idea = RoadmapItem.objects.get(title="Customer portal")
        assert (idea.status, idea.progress, idea.owner) == ("idea", 0, members[Role.HEAD])
        assert idea.department == sales
    assert head_client.get(f"/t/acme/roadmap/{idea.pk}/edit/").status_code == 403
    assert head_client.post(f"/t/acme/roadmap/{idea.pk}/edit/", form()).status_code == 403
    assert head_client.get("/t/acme/roadmap/import/").status_code == 403


@pytest.mark.parametrize("role", [Role.REP, Role.BOARD])
def test_reps_and_board_cannot_change_the_roadmap(role, plan, role_clients):
    client = role_clients[role]
    pk = plan["app"].pk
    assert client.get("/t/acme/roadmap/new/").status_code == 403
    assert client.post("/t/acme/roadmap/new/", form()).status_code == 403
    assert client.post(f"/t/acme/roadmap/{pk}/edit/", form()).status_code == 403
    assert client.post("/t/acme/roadmap/import/").status_code == 403
    html = client.get("/t/acme/roadmap/").content.decode()
    assert "New item" not in html and "Propose an idea" not in html
    with tenant_context(plan["tenant"]):
        assert RoadmapItem.objects.get(pk=pk).progress == 40


def test_another_tenants_item_is_404(plan, other_tenant, admin_client_, outsider_client):
    with tenant_context(other_tenant):
        foreign = item(other_tenant, "Geheim plan", date(2026, 1, 1), date(2026, 3, 1))
    for url in (f"/t/acme/roadmap/{foreign.pk}/", f"/t/acme/roadmap/{foreign.pk}/edit/"):
        response = admin_client_.get(url)
        assert response.status_code == 404 and b"Geheim" not in response.content
    assert admin_client_.post(f"/t/acme/roadmap/{foreign.pk}/edit/", form()).status_code == 404
    assert outsider_client.get("/t/acme/roadmap/").status_code == 404
    assert outsider_client.get(f"/t/acme/roadmap/{plan['app'].pk}/").status_code == 404
    with tenant_context(other_tenant):
        assert RoadmapItem.objects.get(pk=foreign.pk).title == "Geheim plan"
