"""Roadmap items to and from CSV/XLSX: round trip, formula-neutral cells, all or nothing."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kpis.models import Kpi
from personas.tabular import ImportRejected
from portal.models import Department, Role
from portal.tenancy import tenant_context
from roadmap.models import RoadmapChange, RoadmapItem
from roadmap.services import roadmap_item_save
from roadmap.transfer import COLUMNS, roadmap_import

pytestmark = pytest.mark.django_db

HEADER = "title;theme;department;owner;start_quarter;end_quarter;status;progress;done_on;kpis\n"


def csv_file(body: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + body).encode())


@pytest.fixture
def setup(tenant, members):
    with tenant_context(tenant):
        sales = Department.objects.create(tenant=tenant, name="Sales")
        adoption = Kpi.objects.create(tenant=tenant, name="Online adoption")
        revenue = Kpi.objects.create(tenant=tenant, name="Web revenue")
        shop = roadmap_item_save(
            tenant=tenant,
            item=None,
            data={
                "title": "+Web shop relaunch",
                "theme": "Web shop",
                "department": sales,
                "owner": members[Role.HEAD],
                "start_quarter": date(2026, 1, 1),
                "end_quarter": date(2026, 4, 1),
                "status": "in_progress",
                "progress": 60,
            },
            kpi_effects={adoption: "+5 pt", revenue: ""},
        )
        return {"tenant": tenant, "sales": sales, "adoption": adoption, "shop": shop}


def test_the_export_neutralises_formulas_and_reimports_unchanged(setup, admin_client_, members):
    response = admin_client_.get("/t/acme/roadmap/export/?format=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert row["title"] == "'+Web shop relaunch"
    assert (row["start_quarter"], row["end_quarter"]) == ("2026 Q1", "2026 Q2")
    assert row["kpis"] == "Online adoption: +5 pt | Web revenue"
    assert (row["department"], row["owner"], row["status"]) == ("Sales", "head-user", "in_progress")
    csv_response = admin_client_.get("/t/acme/roadmap/export/?format=csv")
    assert "'+Web shop relaunch" in csv_response.content.decode("utf-8-sig")
    with tenant_context(setup["tenant"]):
        result = roadmap_import(
            tenant=setup["tenant"],
            fileobj=io.BytesIO(response.content),
            filename="roadmap.xlsx",
            user=members[Role.ADMIN].user,
        )
        assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
        assert RoadmapItem.objects.get().title == "+Web shop relaunch"


def test_an_import_creates_and_updates_by_title_with_history(setup, members):
    body = (
        "+web shop relaunch;Web shop;sales;head-user;2026 Q1;Q2 2026;done;;2026-05-02;"
        "online adoption: +6 pt\n"
        "Customer portal;Self-service;;;2026-08-15;2026 Q4;Planned;10;;\n"
    )
    with tenant_context(setup["tenant"]):
        result = roadmap_import(
            tenant=setup["tenant"],
            fileobj=csv_file(body),
            filename="r.csv",
            user=members[Role.ADMIN].user,
        )
        assert (result.created, result.updated) == (1, 1)
        shop = RoadmapItem.objects.get(pk=setup["shop"].pk)
        assert (shop.status, shop.progress, shop.done_on) == ("done", 100, date(2026, 5, 2))
        assert {link.kpi.name: link.expected_effect for link in shop.kpi_links.all()} == {
            "Online adoption": "+6 pt"
        }
        change = RoadmapChange.objects.filter(item=shop).first()
        assert change.changed_by.username == "admin-user"
        assert change.changes["status"] == ["in_progress", "done"]
        portal = RoadmapItem.objects.get(title="Customer portal")
        assert (portal.start_quarter, portal.end_quarter) == (date(2026, 7, 1), date(2026, 10, 1))
        assert portal.status == "planned" and portal.progress == 10


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("B;;;;2026 Q5;2026 Q4;;;;", "Row 3, column start_quarter: “2026 Q5” is not a quarter"),
        ("B;;;;2026 Q3;2026 Q1;;;;", "Row 3, column end_quarter: the end comes before the start"),
        ("B;;;;2026 Q3;2026 Q4;finished;;;", "Row 3, column status: “finished” is not a status"),
        ("B;;;;2026 Q3;2026 Q4;;150;;", "Row 3, column progress: 150 is not between 0 and 100"),
        ("B;;Marketing;;2026 Q3;2026 Q4;;;;", "Row 3, column department: “marketing” is not"),
        ("B;;;ghost;2026 Q3;2026 Q4;;;;", "Row 3, column owner: “ghost” is not a member"),
        ("B;;;;2026 Q3;2026 Q4;;;;NPS: +3", "Row 3, column kpis: “NPS” is not a KPI"),
        ("B;;;;;2026 Q4;;;;", "Row 3, column start_quarter: is empty"),
        ("A;;;;2026 Q3;2026 Q4;;;;", "Row 3, column title: “A” is also on row 2"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_stored(setup, bad_row, message):
    body = "A;;;;2026 Q3;2026 Q4;planned;0;;\n" + bad_row + "\n"
    with tenant_context(setup["tenant"]):
        changes = RoadmapChange.objects.count()
        with pytest.raises(ImportRejected) as rejected:
            roadmap_import(
                tenant=setup["tenant"], fileobj=csv_file(body), filename="r.csv", user=None
            )
        assert any(message in error for error in rejected.value.errors), rejected.value.errors
        assert list(RoadmapItem.objects.values_list("title", flat=True)) == ["+Web shop relaunch"]
        assert RoadmapChange.objects.count() == changes


def test_the_import_page_names_the_bad_row(setup, admin_client_, head_client):
    bad = SimpleUploadedFile(
        "r.csv", (HEADER + "A;;;;2026 Q3;2026 Q4;;;;\nB;;;;x;y;;;;\n").encode()
    )
    response = admin_client_.post("/t/acme/roadmap/import/", {"file": bad})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported: 2 problems." in html
    assert "Row 3, column start_quarter" in html and "Row 3, column end_quarter" in html
    assert head_client.post("/t/acme/roadmap/import/", {"file": bad}).status_code == 403
    with tenant_context(setup["tenant"]):
        assert RoadmapItem.objects.count() == 1
