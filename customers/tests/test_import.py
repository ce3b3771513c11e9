"""The importer's promises: every encoding and local format people use, all-or-nothing,
idempotent upserts, precise error reports, and exports that re-import unchanged."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from customers.exporting import write_export
from customers.importing import reading
from customers.importing.engine import import_file
from customers.models import Customer, Order
from customers.services import channels_ensure
from portal.tenancy import tenant_context
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS_HEADER = "external_id,customer_external_id,ordered_at,amount,channel,is_return,return_reason"


@pytest.fixture
def shop(in_tenant):
    """Tenant `acme` (locale nl, Europe/Amsterdam) with two customers and the channels."""
    channels_ensure(tenant=in_tenant)
    rep = MembershipFactory(tenant=in_tenant, user=UserFactory(username="ruben"), role="rep")
    Customer.objects.create(
        tenant=in_tenant, external_id="C1", name="Van Dijk", account_manager=rep
    )
    Customer.objects.create(tenant=in_tenant, external_id="C2", name="Jansen")
    return in_tenant


def run(tenant, kind, content, filename="data.csv", encoding="utf-8", **kwargs):
    data = content.encode(encoding) if isinstance(content, str) else content
    return import_file(
        tenant=tenant, kind=kind, fileobj=io.BytesIO(data), filename=filename, **kwargs
    )


def orders_csv(*rows: str, header: str = ORDERS_HEADER, delimiter: str = ",") -> str:
    return "\n".join([header.replace(",", delimiter), *rows]) + "\n"


def stored_orders():
    return sorted(Order.objects.values_list("external_id", "amount", "is_return", "placed_at"))


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "cp1252"],
    ids=["utf8", "utf8-bom", "utf16", "win1252"],
)
def test_it_reads_the_encodings_people_save_in(shop, encoding):
    content = "external_id;name;business_line\nC3;Café Tégel € Co;Horeca\n"
    report = run(shop, "customers", content, encoding=encoding)
    assert report.ok, report.errors
    assert Customer.objects.get(external_id="C3").name == "Café Tégel € Co"


def test_utf16_without_byte_order_mark_gets_a_clear_error(shop):
    content = "external_id,name\nC3,X\n".encode("utf-16-le")
    report = run(shop, "customers", content)
    assert not report.ok
    assert "UTF-16" in report.errors[0].message


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_it_detects_the_delimiter(shop, delimiter):
    report = run(
        shop,
        "orders",
        orders_csv(
            delimiter.join(
                [
                    "O1",
                    "C1",
                    "2026-01-05",
                    "12,50" if delimiter != "," else '"12,50"',
                    "web",
                    "0",
                    "",
                ]
            ),
            delimiter=delimiter,
        ),
    )
    assert report.ok, report.errors
    assert Order.objects.get(external_id="O1").amount == Decimal("12.50")


def test_decimal_comma_with_thousands_points_for_a_dutch_tenant(shop):
    report = run(
        shop,
        "orders",
        orders_csv('O1,C1,2026-01-05,"1.234,56",web,0,', "O2,C1,2026-01-05,1.234,web,0,"),
    )
    assert report.ok, report.errors
    assert dict(Order.objects.values_list("external_id", "amount")) == {
        "O1": Decimal("1234.56"),
        "O2": Decimal("1234.00"),
    }


def test_a_decimal_point_is_refused_for_a_dutch_tenant(shop):
    report = run(shop, "orders", orders_csv("O1,C1,2026-01-05,12.5,web,0,"))
    assert [(e.line, e.column) for e in report.errors] == [(2, "amount")]
    assert "decimal comma" in report.errors[0].message


def test_an_english_tenant_uses_the_decimal_point(shop):
    shop.locale = "en"
    shop.save()
    report = run(
        shop,
        "orders",
        orders_csv('O1,C1,2026-01-05,"1,234.56",web,0,', "O2,C1,05/01/2026,12.5,web,0,"),
    )
    assert report.ok, report.errors
    assert Order.objects.get(external_id="O1").amount == Decimal("1234.56")
    assert Order.objects.get(external_id="O2").amount == Decimal("12.50")


def test_dates_iso_local_and_with_offset(shop):
    report = run(
        shop,
        "orders",
        orders_csv(
            "O1,C1,2026-01-05 10:30,1,web,0,",  # no offset: Amsterdam time (UTC+1 in winter)
            "O2,C1,05-07-2026 10:30,1,web,0,",  # Dutch DD-MM-YYYY, summer time (UTC+2)
            "O3,C1,2026-01-05T10:30:00Z,1,web,0,",  # explicit UTC
            "O4,C1,2026-01-05,1,web,0,",  # a date: midnight local time
        ),
    )
    assert report.ok, report.errors
    placed = dict(Order.objects.values_list("external_id", "placed_at"))
    assert placed["O1"] == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert placed["O2"] == datetime(2026, 7, 5, 8, 30, tzinfo=UTC)
    assert placed["O3"] == datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    assert placed["O4"] == datetime(2026, 1, 4, 23, 0, tzinfo=UTC)


def test_importing_the_same_file_twice_changes_nothing(shop):
    content = orders_csv("O1,C1,2026-01-05,10,web,0,", "O2,C2,2026-01-06,5,phone,1,Beschadigd")
    first = run(shop, "orders", content)
    snapshot = stored_orders()
    second = run(shop, "orders", content)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert stored_orders() == snapshot


def test_a_changed_row_is_updated_in_place(shop):
    run(shop, "orders", orders_csv("O1,C1,2026-01-05,10,web,0,"))
    report = run(
        shop, "orders", orders_csv("O1,C1,2026-01-05,11,web,0,", "O2,C1,2026-01-05,3,web,0,")
    )
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert Order.objects.get(external_id="O1").amount == Decimal("11.00")
    assert Order.objects.count() == 2


def test_returns_are_stored_negative_whatever_their_sign_in_the_file(shop):
    report = run(
        shop,
        "orders",
        orders_csv("R1,C1,2026-01-05,25,web,1,Te veel besteld", "R2,C1,2026-01-05,-25,web,ja,"),
    )
    assert report.ok, report.errors
    assert set(Order.objects.values_list("amount", flat=True)) == {Decimal("-25.00")}


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(shop):
    run(shop, "orders", orders_csv("O1,C1,2026-01-05,10,web,0,"))
    before = stored_orders()
    report = run(
        shop,
        "orders",
        orders_csv(
            "O1,C1,2026-01-05,99,web,0,",  # a valid change, must not be written
            "O2,C404,2026-01-05,10,web,0,",  # unknown customer
            "O3,C1,2026-02-30,10,web,0,",  # impossible date
            "O4,C1,2026-01-05,abc,telex,0,",  # bad amount and unknown channel
            "O5,C1,2026-01-05,-4,web,0,",  # negative order that is not a return
            ",C1,2026-01-05,4,web,0,",  # missing key
            "O1,C1,2026-01-05,10,web,0,",  # duplicate key in the file
        ),
    )
    assert not report.ok and not report.written
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "customer_external_id"),
        (4, "ordered_at"),
        (5, "amount"),
        (5, "channel"),
        (6, "amount"),
        (7, "external_id"),
        (8, "external_id"),
    ]
    messages = [e.message for e in report.errors]
    assert "no customer with this external id" in messages[0]
    assert "unknown channel" in messages[3] and "web" in messages[3]
    assert messages[5] == "is required"
    assert "as line 2" in messages[6]
    assert stored_orders() == before


def test_unknown_account_manager_is_an_error_never_a_new_user(shop):
    report = run(
        shop, "customers", "external_id,name,account_manager\nC9,Nieuw,nobody@example.com\n"
    )
    assert [(e.line, e.column) for e in report.errors] == [(2, "account_manager")]
    assert not Customer.objects.filter(external_id="C9").exists()


def test_account_manager_by_username_or_email(shop):
    report = run(
        shop,
        "customers",
        "external_id,name,account_manager\nC9,Nieuw,RUBEN\nC10,Ook,ruben@example.com\n",
    )
    assert report.ok, report.errors
    assert set(
        Customer.objects.filter(external_id__in=["C9", "C10"]).values_list(
            "account_manager__user__username", flat=True
        )
    ) == {"ruben"}


def test_missing_required_columns_are_named(shop):
    report = run(shop, "orders", "external_id,amount\nO1,3\n")
    assert not report.ok
    assert "customer_external_id" in report.errors[0].message
    assert "ordered_at" in report.errors[0].message and "channel" in report.errors[0].message


def test_dry_run_validates_but_writes_nothing(shop):
    report = run(shop, "orders", orders_csv("O1,C1,2026-01-05,10,web,0,"), dry_run=True)
    assert report.ok and not report.written and report.rows == 1
    assert not Order.objects.exists()


def test_other_tenants_customers_are_unknown(shop, other_tenant):
    with tenant_context(other_tenant):
        Customer.objects.create(tenant=other_tenant, external_id="G1", name="Globex klant")
    report = run(shop, "orders", orders_csv("O1,G1,2026-01-05,10,web,0,"))
    assert [(e.line, e.column) for e in report.errors] == [(2, "customer_external_id")]


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_with_typed_cells(shop):
    content = xlsx_bytes(
        [
            ORDERS_HEADER.split(","),
            ["O1", "C1", datetime(2026, 1, 5, 10, 0), 12.5, "web", 0, None],
            ["O2", "C2", "05-01-2026", "7,25", "edi", None, None],
        ]
    )
    report = run(shop, "orders", content, filename="orders.xlsx")
    assert report.ok, report.errors
    assert dict(Order.objects.values_list("external_id", "amount")) == {
        "O1": Decimal("12.50"),
        "O2": Decimal("7.25"),
    }


def test_xlsx_limits(shop, monkeypatch):
    wide = xlsx_bytes([[f"col{i}" for i in range(reading.MAX_COLUMNS + 5)], ["x"] * 3])
    assert "columns" in run(shop, "customers", wide, filename="w.xlsx").errors[0].message
    assert (
        "not a valid .xlsx"
        in run(shop, "customers", b"PK-not-a-zip", filename="x.xlsx").errors[0].message
    )
    monkeypatch.setattr(reading, "MAX_XLSX_BYTES", 100)
    big = xlsx_bytes([["external_id", "name"], ["C5", "X"]])
    assert "at most" in run(shop, "customers", big, filename="b.xlsx").errors[0].message
    assert not Customer.objects.filter(external_id="C5").exists()


def test_export_neutralises_formulas_and_re_imports_unchanged(shop):
    Customer.objects.filter(external_id="C2").update(
        name='=HYPERLINK("http://evil")', notes="+31 20 123"
    )
    run(
        shop,
        "orders",
        orders_csv(
            'O1,C1,2026-01-05 10:00,"1234,5",web,0,', "R1,C2,2026-01-06,7,phone,1,Beschadigd"
        ),
    )
    for fmt in ("csv", "xlsx"):
        customers_before = sorted(Customer.objects.values_list("external_id", "name", "notes"))
        orders_before = stored_orders()
        exported = {}
        for kind in ("customers", "orders"):
            out = io.BytesIO()
            write_export(tenant=shop, kind=kind, fmt=fmt, out=out)
            exported[kind] = out.getvalue()
        if fmt == "csv":
            text = exported["customers"].decode("utf-8-sig")
            assert "'=HYPERLINK" in text and "'+31 20 123" in text
        else:
            sheet = load_workbook(io.BytesIO(exported["customers"])).active
            names = [row[1] for row in sheet.iter_rows(values_only=True)]
            assert '\'=HYPERLINK("http://evil")' in names
        for kind in ("customers", "orders"):
            report = run(shop, kind, exported[kind], filename=f"export.{fmt}")
            assert report.ok, report.errors
            assert report.created == report.updated == 0
        assert (
            sorted(Customer.objects.values_list("external_id", "name", "notes")) == customers_before
        )
        assert stored_orders() == orders_before


def test_the_import_command_reports_errors_and_exits_non_zero(shop, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(orders_csv("O1,C404,2026-01-05,10,web,0,"), encoding="utf-8")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_data", "--tenant", "acme", "--kind", "orders", str(path))
    assert "line 2, customer_external_id" in capsys.readouterr().err
    path.write_text(orders_csv("O1,C1,2026-01-05,10,web,0,"), encoding="utf-8")
    call_command("import_data", "--tenant", "acme", "--kind", "orders", str(path))
    assert "1 created" in capsys.readouterr().out
