"""The weekly digest per rep and head: status changes since the last one, alerts, links
back; opt-out on the profile page."""

from decimal import Decimal

import pytest
from django.core import mail

from customers.models import Customer, Signal
from kpis.models import DigestLog, Target
from kpis.tasks import weekly_digests_task
from kpis.tests.pages_data import build
from portal.models import Membership, Role
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tenant, members, settings):
    settings.SITE_URL = "https://koers.example"
    tenant.locale = "en"
    tenant.save()
    for role in (Role.HEAD, Role.REP, Role.BOARD):
        members[role].user.email = f"{role}@acme.example"
        members[role].user.save()
    return build(tenant, members, reps=1)


def mail_to(address: str):
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def test_reps_and_heads_get_their_statuses_and_alerts_with_links(data, tenant):
    with tenant_context(tenant):
        customer = Customer.objects.get(name="Van Dijk Installatie")  # the rep's account
        Signal.objects.create(
            tenant=tenant, kind="returns_only", customer=customer, as_of=data["today"]
        )
    assert weekly_digests_task.delay(tenant.pk).get() == 2  # head and rep; not the board
    rep = mail_to("rep@acme.example").body
    assert "This is your first digest" in rep
    # the rep's own e-commerce share is 46.0 %: on track, so nothing is off track for them
    assert "Nothing is off track." in rep
    assert "1 customer alert:" in rep
    assert (
        f"Van Dijk Installatie: Only returns lately https://koers.example/t/acme/customers/{customer.pk}/"
        in rep
    )
    head = mail_to("head@acme.example").body
    assert "https://koers.example/t/acme/department/" in head
    assert "https://koers.example/t/acme/profile/" in head


def test_the_second_digest_lists_what_changed(data, tenant, members):
    weekly_digests_task.delay(tenant.pk).get()
    mail.outbox.clear()
    with tenant_context(tenant):
        # the head's e-commerce share: 41.5 % against a raised band of 42-48 -> off track
        Target.objects.filter(kpi=data["share"], scope="company").update(
            minimum=Decimal(42), stretch=Decimal(48)
        )
    weekly_digests_task.delay(tenant.pk).get()
    head = mail_to("head@acme.example").body
    assert "E-commerce share: At risk → Off track (41.5 %)" in head
    assert "- E-commerce share: 41.5 %, minimum 42.0 %" in head
    html = mail_to("head@acme.example").alternatives[0][0]
    assert f'href="https://koers.example/t/acme/kpis/{data["share"].pk}/"' in html
    assert "Koers weekly: 1 status changes" in mail_to("head@acme.example").subject
    rep = mail_to("rep@acme.example").body
    assert "No status changed." in rep
    with tenant_context(tenant):
        assert DigestLog.objects.filter(membership=members[Role.HEAD]).count() == 2


def test_members_opt_out_on_their_profile(data, tenant, rep_client, members):
    page = rep_client.get("/t/acme/profile/").content.decode()
    assert 'name="weekly_digest"' in page and "checked" in page
    assert rep_client.post("/t/acme/profile/", {}).status_code == 302
    with tenant_context(tenant):
        assert Membership.objects.get(pk=members[Role.REP].pk).weekly_digest is False
    assert (
        "You will no longer get the weekly digest."
        in rep_client.get("/t/acme/profile/").content.decode()
    )
    assert weekly_digests_task.delay(tenant.pk).get() == 1
    assert [m.to for m in mail.outbox] == [["head@acme.example"]]
    rep_client.post("/t/acme/profile/", {"weekly_digest": "on"})
    with tenant_context(tenant):
        assert Membership.objects.get(pk=members[Role.REP].pk).weekly_digest is True


def test_the_profile_is_per_tenant(data, outsider_client):
    assert outsider_client.get("/t/acme/profile/").status_code == 404
