"""Personas to and from CSV/XLSX: round trips, formula-neutral cells, all-or-nothing imports."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from personas.models import Persona, PersonaVersion
from personas.tabular import ImportRejected
from personas.tests.helpers import persona
from personas.transfer import COLUMNS, personas_import
from portal.models import Role
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db

HEADER = "name,priority,owner,summary,last_reviewed_on,moment_ordering,rules\n"


def csv_file(body: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + body).encode())


@pytest.fixture
def dutch(tenant, members):
    with tenant_context(tenant):
        p = persona(
            tenant,
            "Dutch installer",
            1,
            (1, "country", "eq", "NL"),
            (1, "employees", "gte", "50"),
            (2, "rfm_segment", "in", "champions;loyal"),
        )
        p.summary = "=HYPERLINK(evil)"
        p.owner = members[Role.HEAD]
        p.journey_notes = {"ordering": "Reorders from history"}
        p.last_reviewed_on = date(2026, 1, 15)
        p.save()
        return p


def test_the_csv_export_neutralises_formulas_and_reimports_unchanged(
    tenant, dutch, admin_client_, members
):
    response = admin_client_.get("/t/acme/personas/export/?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="acme-personas-')
    text = response.content.decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(text), delimiter=";")  # a Dutch company: ; and ,
    assert header == COLUMNS
    row = ";".join(row)
    assert "'=HYPERLINK(evil)" in row
    assert "1 country eq NL | 1 employees gte 50 | 2 rfm_segment in champions;loyal" in row
    assert "head-user" in row and "2026-01-15" in row and "Reorders from history" in row
    with tenant_context(tenant):
        result = personas_import(
            tenant=tenant,
            fileobj=io.BytesIO(response.content),
            filename="personas.csv",
            user=members[Role.ADMIN].user,
        )
        assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
        dutch.refresh_from_db()
        assert dutch.summary == "=HYPERLINK(evil)"
        assert dutch.rules.count() == 3


def test_the_xlsx_export_reimports_into_another_company(tenant, other_tenant, dutch, admin_client_):
    response = admin_client_.get("/t/acme/personas/export/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert rows[1][0] == "Dutch installer" and rows[1][2] == "'=HYPERLINK(evil)"
    with tenant_context(other_tenant):
        sheet.cell(row=2, column=COLUMNS.index("owner") + 1, value="")  # no such member there
        out = io.BytesIO()
        sheet.parent.save(out)
        out.seek(0)
        result = personas_import(tenant=other_tenant, fileobj=out, filename="p.xlsx", user=None)
        assert result.created == 1
        copy = Persona.objects.get(tenant=other_tenant)
        assert copy.summary == "=HYPERLINK(evil)"
        assert copy.journey_notes == {"ordering": "Reorders from history"}
        assert [(r.group, r.field, r.value) for r in copy.rules.all()] == [
            (1, "country", "NL"),
            (1, "employees", "50"),
            (2, "rfm_segment", "champions;loyal"),
        ]


def test_an_import_updates_by_name_with_history(tenant, dutch, members):
    with tenant_context(tenant):
        body = "dutch installer,3,,Mid-size installer,2026-05-01,,1 country in NL;BE\n"
        result = personas_import(
            tenant=tenant, fileobj=csv_file(body), filename="p.csv", user=members[Role.ADMIN].user
        )
        assert (result.created, result.updated) == (0, 1)
        dutch.refresh_from_db()
        assert dutch.priority == 3 and dutch.owner is None
        assert dutch.last_reviewed_on == date(2026, 5, 1)
        assert dutch.journey_notes == {}
        version = PersonaVersion.objects.filter(persona=dutch).first()
        assert version.changed_by.username == "admin-user"
        assert version.changes["priority"] == [1, 3]
        assert version.changes["rules"][1] == ["1: Country is one of NL;BE"]


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("Broken,high,,,,,", "Row 3, column priority: 'high' is not a whole number"),
        ("Broken,2,nobody,,,,", "Row 3, column owner: “nobody” is not a member of this company"),
        ("Broken,2,,,31-31-2026,,", "Row 3, column last_reviewed_on"),
        ("Broken,2,,,,,1 employees contains 5", "Row 3, column rules: rule 1"),
        ("Broken,2,,,,,country eq NL", "Row 3, column rules: rule 1 “country eq NL”"),
        ("Broken,2,,,,,1 rfm_segment eq Rockstars", "“Rockstars” is not one of"),
        (",2,,,,,", "Row 3, column name: is empty"),
        ("New one,2,,,,,", "Row 3, column name: “New one” is also on row 2"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_stored(tenant, members, bad_row, message):
    with tenant_context(tenant):
        body = "New one,1,head-user,,,,1 country eq NL\n" + bad_row + "\n"
        with pytest.raises(ImportRejected) as rejected:
            personas_import(tenant=tenant, fileobj=csv_file(body), filename="p.csv", user=None)
        assert any(message in error for error in rejected.value.errors), rejected.value.errors
        assert not Persona.objects.exists()
        assert not PersonaVersion.objects.exists()


def test_unknown_and_missing_columns_are_named(tenant):
    with tenant_context(tenant):
        with pytest.raises(ImportRejected, match="Unknown column\\(s\\): colour"):
            personas_import(
                tenant=tenant,
                fileobj=csv_file("A,red\n", header="name,colour\n"),
                filename="p.csv",
                user=None,
            )
        with pytest.raises(ImportRejected, match="Missing column\\(s\\): name"):
            personas_import(
                tenant=tenant,
                fileobj=csv_file("1\n", header="priority\n"),
                filename="p.csv",
                user=None,
            )


def test_the_import_page_lists_every_problem_and_then_imports(tenant, admin_client_):
    bad = SimpleUploadedFile("p.csv", (HEADER + "A,1,,,,,\nB,x,,,,,\n").encode())
    response = admin_client_.post("/t/acme/personas/import/", {"file": bad})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported: 1 problem." in html
    assert "Row 3, column priority" in html
    good = SimpleUploadedFile("p.csv", (HEADER + "A,1,,,,,\nB,2,,,,,\n").encode())
    response = admin_client_.post("/t/acme/personas/import/", {"file": good})
    assert response.status_code == 302
    html = admin_client_.get("/t/acme/personas/").content.decode()
    assert "Imported: 2 new, 0 updated, 0 unchanged." in html
    with tenant_context(tenant):
        assert list(Persona.objects.values_list("name", flat=True)) == ["A", "B"]


def test_every_role_may_export_but_a_foreign_tenant_may_not(dutch, rep_client, outsider_client):
    assert rep_client.get("/t/acme/personas/export/?format=xlsx").status_code == 200
    assert rep_client.get("/t/acme/personas/export/?format=pdf").status_code == 404
    assert outsider_client.get("/t/acme/personas/export/?format=csv").status_code == 404
