"""The imports page: upload -> check (preview and every error) -> confirm -> imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer, ImportBatch
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db

CUSTOMERS = "external_id;name;country\nC1;Van Dijk Installatie;NL\nC2;=cmd|' /C calc'!A0;BE\n"


def upload(client, content: str, name="klanten.csv", kind="customers"):
    return client.post(
        "/t/acme/imports/",
        {"kind": kind, "file": SimpleUploadedFile(name, content.encode("utf-8"))},
    )


def test_admin_uploads_checks_and_confirms_an_import(
    tenant, admin_client_, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client_, CUSTOMERS)
    with tenant_context(tenant):
        batch = ImportBatch.objects.get()
        assert batch.status == ImportBatch.Status.VALID
        assert not Customer.objects.exists()  # checked, not yet written
    assert response.status_code == 302
    page = admin_client_.get(response["Location"]).content.decode()
    assert "Van Dijk Installatie" in page  # the preview
    assert "Import 2 rows" in page

    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(f"/t/acme/imports/{batch.pk}/confirm/")
    with tenant_context(tenant):
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.IMPORTED
        assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["C1", "C2"]
        assert batch.job.status == "succeeded" and batch.job.counts["created"] == 2
    page = admin_client_.get(f"/t/acme/imports/{batch.pk}/").content.decode()
    assert "Imported." in page


def test_a_file_with_errors_lists_them_and_cannot_be_confirmed(
    tenant, admin_client_, django_capture_on_commit_callbacks
):
    content = "external_id,customer_external_id,ordered_at,amount,channel\nO1,C404,2026-01-01,1,web\nO2,C404,gisteren,1,web\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client_, content, name="orders.csv", kind="orders")
    with tenant_context(tenant):
        batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.INVALID
    page = admin_client_.get(f"/t/acme/imports/{batch.pk}/").content.decode()
    assert "Nothing was written" in page
    assert page.count("no customer with this external id") == 2
    assert "&#x27;gisteren&#x27; is not a date" in page
    admin_client_.post(f"/t/acme/imports/{batch.pk}/confirm/")
    with tenant_context(tenant):
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.INVALID


def test_an_upload_without_a_file_explains_what_is_missing(admin_client_):
    response = admin_client_.post("/t/acme/imports/", {"kind": "customers"})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()


def test_only_admins_import(rep_client, head_client, board_client):
    for client in (rep_client, head_client, board_client):
        assert client.get("/t/acme/imports/").status_code == 403
        assert upload(client, CUSTOMERS).status_code == 403


def test_another_tenants_batch_is_404(tenant, other_tenant, admin_client_, outsider_client):
    with tenant_context(other_tenant):
        batch = ImportBatch.objects.create(
            tenant=other_tenant, kind="customers", filename="geheim.csv", file="x.csv"
        )
    assert admin_client_.get(f"/t/acme/imports/{batch.pk}/").status_code == 404
    assert admin_client_.post(f"/t/acme/imports/{batch.pk}/confirm/").status_code == 404
    assert outsider_client.get("/t/acme/imports/").status_code == 404


def test_export_download_neutralises_formulas(tenant, admin_client_):
    with tenant_context(tenant):
        Customer.objects.create(tenant=tenant, external_id="C1", name="=1+1")
    response = admin_client_.get("/t/acme/exports/customers.csv")
    assert response.status_code == 200
    assert 'filename="acme-customers.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[1].startswith("C1;'=1+1")
    assert admin_client_.get("/t/acme/exports/secrets.csv").status_code == 404
