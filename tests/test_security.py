"""Login and API-token throttling, the Content-Security-Policy every page lives within, and a
clean `manage.py check --deploy` with production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.api_auth import api_token_create
from portal.models import Role
from portal.tenancy import tenant_context
from tests.routes import tenant_routes
from tests.tenant_objects import TenantObjects

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
GOOD = "correct-horse-battery"


def login(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )


def test_five_wrong_passwords_lock_that_user_out_from_that_address(members):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert login("10.0.0.1", "rep-user", "wrong").status_code == 200  # the form again
    assert login("10.0.0.1", "rep-user", "wrong").status_code == 429  # the fifth
    locked = login("10.0.0.1", "rep-user", GOOD)  # even the right password now
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Another address, or another user from this address, is not locked out.
    assert login("10.0.0.2", "rep-user", GOOD).status_code == 302
    assert login("10.0.0.1", "head-user", GOOD).status_code == 302


def test_a_successful_login_resets_the_count(members):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        login("10.0.0.3", "rep-user", "wrong")
    assert login("10.0.0.3", "rep-user", GOOD).status_code == 302
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        login("10.0.0.3", "rep-user", "wrong")
    assert login("10.0.0.3", "rep-user", GOOD).status_code == 302


def test_unknown_api_keys_lock_out_the_address(tenant, settings):
    settings.API_TOKEN_FAILURE_LIMIT = 3
    with tenant_context(tenant):
        _, key = api_token_create(tenant=tenant, name="erp")
    url = "/t/acme/api/v1/customers/"
    guesser = Client(REMOTE_ADDR="10.0.1.1")
    for n in range(3):
        response = guesser.get(url, headers={"Authorization": f"Token kt_guess{n}"})
        assert response.status_code == 401
    # The address is locked out, even with a good key; other addresses are not.
    response = guesser.get(url, headers={"Authorization": f"Token {key}"})
    assert response.status_code == 429
    assert "Too many invalid tokens" in response.json()["detail"]
    other = Client(REMOTE_ADDR="10.0.1.2")
    assert other.get(url, headers={"Authorization": f"Token {key}"}).status_code == 200


def test_the_content_security_policy_allows_no_inline_code(members):
    client = Client()
    client.force_login(members[Role.ADMIN].user)
    policy = client.get("/t/acme/glossary/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


INLINE_CODE = [
    # json_script data blocks are not code; everything else must come from a file.
    (
        re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>\s*\S", re.I),
        "an inline <script>",
    ),
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"\sstyle=\"", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=\"", re.I), "an on* event handler"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on handler (needs eval)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_page_carries_code_the_policy_would_block(tenant, members):
    """Every page (each role's view of it) works under the CSP: nothing inline to block."""
    objects = TenantObjects(tenant, "csp")
    labels = {m._meta.label: m for m in apps.get_models()}
    clients = {}
    for role in Role.values:
        clients[role] = Client(raise_request_exception=False)  # crashes: tests/test_sweep.py
        clients[role].force_login(members[role].user)
    problems, pages = [], 0
    for route in tenant_routes():
        if route.api:
            continue
        url = route.url(tenant.slug, dict.fromkeys(route.object_parameters, objects), labels)
        for role, client in clients.items():
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            html = response.content.decode()
            problems += [f"{url} ({role}): {what}" for rx, what in INLINE_CODE if rx.search(html)]
    assert pages >= 20
    assert not problems, "\n".join(problems)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DATABASE_OWNER_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "KOERS_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "SECURE_HTTPS": "1",
            "ALLOWED_HOSTS": "koers.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
