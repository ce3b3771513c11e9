"""Role matrix: every route x role -> the status it answers, in one table.

Routes come from the URL resolver and the OpenAPI schema (tests/routes.py), so a new page or
endpoint fails this test until it has a row here. Parameters are filled with tenant A's own
objects (tests/tenant_objects.py); every request runs in a rolled-back transaction, so a POST
(an empty form) changes nothing for the next one.

Rules (DESIGN.md, issue 9): a rep sees their portfolio and company-level pages; a head manages
their departments; the board reads everything; admins edit everything (personas, roadmap,
members, imports). Anonymous users are sent to the login (302) or get 401 from the API; a
member of another tenant gets 404. A POST of an empty form that the role may send is answered
200 (the form with its errors) or 422; a refusal is 403; a method a route does not take, 405.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from customers.models import Customer
from kpis.models import BoardConclusion, CheckIn, Kpi
from portal.api_auth import api_token_create
from portal.models import Department, DepartmentMember, Role
from portal.tenancy import tenant_context
from tests.routes import api_routes, tenant_routes
from tests.tenant_objects import TenantObjects

pytestmark = pytest.mark.django_db

COLUMNS = ["anon", "rep", "head", "board", "admin", "other", "token"]

# route                                   method  anon  rep  head board admin other token
MATRIX = """
customers:detail                          GET     302   200   404   200   200   404   -
customers:detail                          POST    302   405   405   405   405   404   -
customers:export                          GET     302   403   403   403   200   404   -
customers:export                          POST    302   405   405   405   405   404   -
customers:import_confirm                  GET     302   405   405   405   405   404   -
customers:import_confirm                  POST    302   403   403   403   302   404   -
customers:import_detail                   GET     302   403   403   403   200   404   -
customers:import_detail                   POST    302   405   405   405   405   404   -
customers:imports                         GET     302   403   403   403   200   404   -
customers:imports                         POST    302   403   403   403   422   404   -
customers:list                            GET     302   200   200   200   200   404   -
customers:list                            POST    302   405   405   405   405   404   -
customers_api:customer-detail             GET     401   200   404   200   200   404   200
customers_api:customer-list               GET     401   200   200   200   200   404   200
customers_api:import                      POST    401   403   403   403   400   404   400
customers_api:order-detail                GET     401   200   404   200   200   404   200
customers_api:order-list                  GET     401   200   200   200   200   404   200
kpis:board_conclusion                     GET     302   403   403   200   200   404   -
kpis:board_conclusion                     POST    302   403   403   422   422   404   -
kpis:board_pack                           GET     302   403   403   200   200   404   -
kpis:board_pack                           POST    302   405   405   405   405   404   -
kpis:department_checkin                   GET     302   405   405   405   405   404   -
kpis:department_checkin                   POST    302   403   422   403   403   404   -
kpis:department_kpi_edit                  GET     302   403   200   403   403   404   -
kpis:department_kpi_edit                  POST    302   403   200   403   403   404   -
kpis:department_kpi_row                   GET     302   403   200   403   403   404   -
kpis:department_kpi_row                   POST    302   405   405   405   405   404   -
kpis:detail                               GET     302   200   200   200   200   404   -
kpis:detail                               POST    302   422   422   422   422   404   -
kpis:kpi_reviewed                         GET     302   405   405   405   405   404   -
kpis:kpi_reviewed                         POST    302   403   302   403   403   404   -
kpis:list                                 GET     302   200   200   200   200   404   -
kpis:list                                 POST    302   405   405   405   405   404   -
kpis:persona_reviewed                     GET     302   405   405   405   405   404   -
kpis:persona_reviewed                     POST    302   403   302   403   403   404   -
kpis:profile                              GET     302   200   200   200   200   404   -
kpis:profile                              POST    302   302   302   302   302   404   -
kpis:recompute                            GET     302   405   405   405   405   404   -
kpis:recompute                            POST    302   403   302   403   302   404   -
personas:create                           GET     302   403   403   403   200   404   -
personas:create                           POST    302   403   403   403   422   404   -
personas:delete                           GET     302   405   405   405   405   404   -
personas:delete                           POST    302   403   403   403   302   404   -
personas:detail                           GET     302   200   200   200   200   404   -
personas:detail                           POST    302   405   405   405   405   404   -
personas:edit                             GET     302   403   403   403   200   404   -
personas:edit                             POST    302   403   403   403   422   404   -
personas:export                           GET     302   200   200   200   200   404   -
personas:export                           POST    302   405   405   405   405   404   -
personas:import                           GET     302   403   403   403   200   404   -
personas:import                           POST    302   403   403   403   422   404   -
personas:list                             GET     302   200   200   200   200   404   -
personas:list                             POST    302   405   405   405   405   404   -
personas:match                            GET     302   405   405   405   405   404   -
personas:match                            POST    302   403   403   403   200   404   -
personas:reviewed                         GET     302   405   405   405   405   404   -
personas:reviewed                         POST    302   403   403   403   302   404   -
portal:audit                              GET     302   403   403   403   200   404   -
portal:audit                              POST    302   405   405   405   405   404   -
portal:board                              GET     302   403   403   200   200   404   -
portal:board                              POST    302   405   405   405   405   404   -
portal:department                         GET     302   403   200   403   403   404   -
portal:department                         POST    302   405   405   405   405   404   -
portal:departments                        GET     302   403   403   403   200   404   -
portal:departments                        POST    302   405   405   405   405   404   -
portal:glossary                           GET     302   200   200   200   200   404   -
portal:glossary                           POST    302   403   403   403   422   404   -
portal:glossary_delete                    GET     302   405   405   405   405   404   -
portal:glossary_delete                    POST    302   403   403   403   302   404   -
portal:glossary_edit                      GET     302   403   403   403   200   404   -
portal:glossary_edit                      POST    302   403   403   403   422   404   -
portal:home                               GET     302   302   302   302   302   404   -
portal:home                               POST    302   405   405   405   405   404   -
portal:job_detail                         GET     302   403   200   403   200   404   -
portal:job_detail                         POST    302   405   405   405   405   404   -
portal:jobs                               GET     302   403   200   403   200   404   -
portal:jobs                               POST    302   405   405   405   405   404   -
portal:members                            GET     302   403   403   403   200   404   -
portal:members                            POST    302   405   405   405   405   404   -
portal:portfolio                          GET     302   200   403   403   403   404   -
portal:portfolio                          POST    302   405   405   405   405   404   -
roadmap:create                            GET     302   403   200   403   200   404   -
roadmap:create                            POST    302   403   422   403   422   404   -
roadmap:detail                            GET     302   200   200   200   200   404   -
roadmap:detail                            POST    302   405   405   405   405   404   -
roadmap:edit                              GET     302   403   403   403   200   404   -
roadmap:edit                              POST    302   403   403   403   422   404   -
roadmap:export                            GET     302   200   200   200   200   404   -
roadmap:export                            POST    302   405   405   405   405   404   -
roadmap:import                            GET     302   403   403   403   200   404   -
roadmap:import                            POST    302   403   403   403   422   404   -
roadmap:timeline                          GET     302   200   200   200   200   404   -
roadmap:timeline                          POST    302   405   405   405   405   404   -
"""


def parse(table: str) -> dict[tuple[str, str], dict[str, int | None]]:
    rows = {}
    for line in table.strip().splitlines():
        name, method, *cells = line.split()
        assert len(cells) == len(COLUMNS), f"row {name} {method}: {len(cells)} cells"
        rows[(name, method)] = {
            col: (None if cell == "-" else int(cell))
            for col, cell in zip(COLUMNS, cells, strict=True)
        }
    return rows


EXPECTED = parse(MATRIX)


@pytest.fixture
def actors(tenant, other_tenant, members, other_member):
    clients = {"anon": Client()}
    for role in (Role.REP, Role.HEAD, Role.BOARD, Role.ADMIN):
        client = Client()
        client.force_login(members[role].user)
        clients[str(role)] = client
    other = Client()
    other.force_login(other_member.user)
    clients["other"] = other
    with tenant_context(tenant):
        _, key = api_token_create(tenant=tenant, name="matrix")
    clients["token"] = Client(headers={"Authorization": f"Token {key}"})
    for client in clients.values():
        client.raise_request_exception = False  # a crash is a 500 in the table
    return clients


def status(client: Client, method: str, url: str, api: bool) -> int:
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        elif api:
            response = getattr(client, method.lower())(url, "{}", content_type="application/json")
        else:
            response = getattr(client, method.lower())(url, {})
        transaction.set_rollback(True)
    return response.status_code


def own_objects(tenant, members) -> TenantObjects:
    """A's objects, tied to the members as in real use: the head heads the department (whose
    KPI it is), the rep manages the customer, check-ins and conclusions have authors."""
    own = TenantObjects(tenant, "own")
    department = own.objects[Department]
    with tenant_context(tenant):
        department.head = members[Role.HEAD]
        department.save(update_fields=["head"])
        DepartmentMember.objects.get_or_create(
            tenant=tenant, membership=members[Role.HEAD], department=department
        )
        for model, field, value in [
            (Kpi, "department", department),
            (Customer, "account_manager", members[Role.REP]),
            (CheckIn, "author", members[Role.HEAD].user),
            (BoardConclusion, "author", members[Role.BOARD].user),
        ]:
            instance = own.objects[model]
            setattr(instance, field, value)
            instance.save(update_fields=[field])
    return own


def observed_matrix(tenant, members, actors) -> dict[tuple[str, str], dict[str, int | None]]:
    own = own_objects(tenant, members)
    labels = {m._meta.label: m for m in apps.get_models()}
    observed = {}
    routes = [(r, ["GET", "POST"]) for r in tenant_routes() if not r.api]
    routes += [(r, r.methods) for r in api_routes()]
    for route, methods in routes:
        url = route.url(tenant.slug, dict.fromkeys(route.object_parameters, own), labels)
        for method in methods:
            row = {}
            for column in COLUMNS:
                if column == "token" and not route.api:
                    row[column] = None
                    continue
                row[column] = status(actors[column], method, url, route.api)
            observed[(route.name, method)] = row
    return observed


def render(rows: dict) -> str:
    lines = []
    for (name, method), row in sorted(rows.items()):
        cells = ["-" if row[c] is None else str(row[c]) for c in COLUMNS]
        lines.append(f"{name:<42}{method:<8}" + "".join(f"{cell:<6}" for cell in cells))
    return "\n".join(lines)


def test_every_route_answers_each_role_as_the_matrix_says(tenant, members, actors):
    observed = observed_matrix(tenant, members, actors)
    missing = {key: row for key, row in observed.items() if key not in EXPECTED}
    assert not missing, (
        "Routes missing from MATRIX in tests/test_role_matrix.py. Check each status against "
        "the rules in the module docstring, then add the rows:\n" + render(missing)
    )
    stale = sorted(set(EXPECTED) - set(observed))
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"
    wrong = {key: row for key, row in observed.items() if row != EXPECTED[key]}
    assert not wrong, (
        "Routes answering other than MATRIX says (observed):\n"
        + render(wrong)
        + "\nexpected:\n"
        + render({key: EXPECTED[key] for key in wrong})
    )
