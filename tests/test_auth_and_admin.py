"""Password pages work end to end, and superusers manage every tenant in Django's admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from portal.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_password_reset_mails_a_link_that_sets_a_new_password(members):
    user = members[Role.REP].user
    client = Client()
    response = client.post("/accounts/password_reset/", {"email": user.email}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    new = "a-much-better-passphrase-42"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert "Your password has been set" in done.content.decode()
    assert Client().login(username=user.username, password=new)


def test_password_change_needs_the_old_password(rep_client):
    response = rep_client.post(
        "/accounts/password_change/",
        {
            "old_password": "wrong",
            "new_password1": "x-better-passphrase-7",
            "new_password2": "x-better-passphrase-7",
        },
    )
    assert response.status_code == 200
    assert "incorrectly" in response.content.decode()


# On PostgreSQL the admin reads through its own connection (portal.db.routers), which sees
# committed rows only: the test commits its data.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_superusers_see_every_tenant_in_the_admin_filtered_by_tenant(members, other_member, tenant):
    admin = UserFactory(username="operator", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/portal/membership/").content.decode()
    assert "rep-user" in page and "globex-admin" in page  # both tenants
    filtered = client.get(
        f"/admin/portal/membership/?tenant__id__exact={tenant.pk}"
    ).content.decode()
    assert "rep-user" in filtered and "globex-admin" not in filtered


def test_tenant_admins_are_not_django_admins(admin_client_):
    assert admin_client_.get("/admin/portal/membership/").status_code == 302  # to the admin login
    assert get_user_model().objects.filter(is_superuser=True).count() == 0
