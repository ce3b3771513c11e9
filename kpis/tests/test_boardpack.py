"""The board pack: the board page plus one page per KPI as a PDF, per month, and the
monthly e-mail to the board."""

import re

import pytest
from django.core import mail

from kpis.boardpack import board_pack_document, board_pack_html
from kpis.tasks import board_pack_task
from kpis.tests.pages_data import build
from portal.models import Role
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tenant, members):
    return build(tenant, members, reps=2)


def test_the_pack_is_the_board_page_plus_one_page_per_kpi(data, tenant):
    tenant.locale = "en"  # without a request the pack speaks the tenant's language
    tenant.save()
    month = data["today"].replace(day=1)
    with tenant_context(tenant):
        document = board_pack_document(tenant=tenant, month=month, today=data["today"])
        html = board_pack_html(tenant=tenant, month=month, today=data["today"])
    # board page + e-commerce share, revenue, customer visits (funnel and per-channel KPIs
    # have no company value of their own)
    assert len(document.pages) == 4
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Super-KPI E-commerce share 41.5 %" in text
    assert "Online share grows; revenue lags the plan." in text
    assert "Ruben Visser 46.0 %" in text  # per rep on the KPI's page
    assert "Call the ten biggest phone customers about the web shop" in text  # its check-in


def test_board_members_download_a_months_pack(data, board_client):
    month = data["today"].strftime("%Y-%m")
    response = board_client.get(f"/t/acme/board/pack/{month}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="board-pack-acme-{month}.pdf"' in response["Content-Disposition"]
    assert board_client.get("/t/acme/board/pack/2026-13.pdf").status_code == 404


def test_the_monthly_task_mails_the_pack_to_board_members(data, tenant, members):
    members[Role.BOARD].user.email = "bram@acme.example"
    members[Role.BOARD].user.save()
    month = data["today"].replace(day=1)
    assert board_pack_task.delay(tenant.pk, month=month.isoformat()).get() == 1
    (message,) = mail.outbox
    assert message.to == ["bram@acme.example"]
    name, content, mimetype = message.attachments[0]
    assert name == f"board-pack-acme-{month:%Y-%m}.pdf" and content.startswith(b"%PDF")
    assert "/t/acme/board/" in message.body
