"""Every route of the portal, discovered from the URL resolver and the OpenAPI schema, and how
to fill its URL parameters with objects of a tenant. Shared by the cross-tenant sweep
(tests/test_sweep.py) and the role matrix (tests/test_role_matrix.py).

A new page or endpoint is picked up automatically. When its URL has a parameter this module
cannot fill, the sweep and the matrix fail and say which mapping to add below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, reverse

API_PREFIX = "api/"

# URL parameter -> the tenant-owned model (by label) whose object fills it (by primary key).
# `<model>_id` is understood without an entry (kpi_id -> kpis.Kpi, persona_id -> ...).
OBJECT_PARAMETERS: dict[str, str] = {
    "term_id": "portal.GlossaryTerm",
    "job_id": "portal.JobRun",
    "batch_id": "customers.ImportBatch",
    "item_id": "roadmap.RoadmapItem",
}
# (route name, parameter) -> (model label, attribute), for parameters that are not a primary key.
ROUTE_OBJECT_PARAMETERS: dict[tuple[str, str], tuple[str, str]] = {
    ("customers_api:customer-detail", "external_id"): ("customers.Customer", "external_id"),
    ("customers_api:order-detail", "external_id"): ("customers.Order", "external_id"),
}
# Parameters that name no object: one valid value each.
PLAIN_PARAMETERS: dict[str, str] = {
    "month": "2026-01",
    "kind": "customers",
    "fmt": "csv",
}


class UnfillableRoute(Exception):
    pass


@dataclass
class Route:
    name: str  # namespaced URL name
    pattern: str  # for the report
    parameters: list[str]  # besides tenant_slug
    api: bool
    methods: list[str] = field(default_factory=lambda: ["GET", "POST"])

    @property
    def object_parameters(self) -> list[str]:
        return [p for p in self.parameters if p not in PLAIN_PARAMETERS]

    def model_for(self, parameter: str, models_by_label: dict) -> tuple[type, str]:
        """(model, attribute) that fills `parameter`; raises UnfillableRoute."""
        if (self.name, parameter) in ROUTE_OBJECT_PARAMETERS:
            label, attribute = ROUTE_OBJECT_PARAMETERS[(self.name, parameter)]
            return models_by_label[label], attribute
        if parameter in OBJECT_PARAMETERS:
            return models_by_label[OBJECT_PARAMETERS[parameter]], "pk"
        if parameter.endswith("_id"):
            wanted = parameter[: -len("_id")].replace("_", "")
            matches = [m for m in models_by_label.values() if m._meta.model_name == wanted]
            if len(matches) == 1:
                return matches[0], "pk"
        raise UnfillableRoute(
            f"Route {self.name!r} ({self.pattern}) has the URL parameter {parameter!r}, which "
            "tests/routes.py cannot fill. Add it to OBJECT_PARAMETERS (a primary key of a "
            "tenant-owned model), ROUTE_OBJECT_PARAMETERS (another attribute) or "
            "PLAIN_PARAMETERS (a value that names no object)."
        )

    def url(self, slug: str, objects_for: dict[str, object], models_by_label: dict) -> str:
        """The URL in tenant `slug`, each object parameter taken from `objects_for[parameter]`
        (a TenantObjects)."""
        kwargs = {"tenant_slug": slug}
        for parameter in self.parameters:
            if parameter in PLAIN_PARAMETERS:
                kwargs[parameter] = PLAIN_PARAMETERS[parameter]
                continue
            model, attribute = self.model_for(parameter, models_by_label)
            kwargs[parameter] = getattr(objects_for[parameter].get(model), attribute)
        return reverse(self.name, kwargs=kwargs)


def _parameters(pattern) -> list[str]:
    return list(pattern.regex.groupindex)


def _walk(patterns, prefix: str, namespace: str | None, names: list[str]):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(
                entry.url_patterns,
                prefix + str(entry.pattern),
                ns,
                names + _parameters(entry.pattern),
            )
        elif isinstance(entry, URLPattern) and entry.name:
            full = f"{namespace}:{entry.name}" if namespace else entry.name
            yield full, prefix + str(entry.pattern), names + _parameters(entry.pattern)


def tenant_routes() -> list[Route]:
    """Every named route under /t/<tenant_slug>/ (pages and API)."""
    routes = {}
    for name, pattern, params in _walk(get_resolver().url_patterns, "", None, []):
        if "tenant_slug" not in params:
            continue
        rest = [p for p in params if p != "tenant_slug"]
        api = pattern.startswith("t/<slug:tenant_slug>/" + API_PREFIX)
        routes.setdefault(name, Route(name=name, pattern=pattern, parameters=rest, api=api))
    return sorted(routes.values(), key=lambda r: r.name)


def api_operations() -> list[tuple[str, str]]:
    """(path template, method) of every operation in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def api_routes() -> list[Route]:
    """API routes with the methods the OpenAPI schema documents for them; a documented path
    the URL resolver does not know fails."""
    by_regex = []
    for route in tenant_routes():
        if route.api:
            by_regex.append(route)
    operations = api_operations()
    found: dict[str, Route] = {}
    for path, method in operations:
        template = re.sub(r"\{(\w+)\}", lambda m: f"<{m[1]}>", path)
        route = next((r for r in by_regex if _same_path(r, template)), None)
        if route is None:
            raise UnfillableRoute(f"The OpenAPI path {path} matches no URL pattern")
        found.setdefault(route.name, Route(route.name, path, route.parameters, True, []))
        found[route.name].methods.append(method)
    return sorted(found.values(), key=lambda r: r.name)


def _same_path(route: Route, template: str) -> bool:
    simplified = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route.pattern)
    simplified = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", simplified).replace("^", "").replace("$", "")
    return "/" + simplified == template
