"""`{% persona_review_notice %}`: personas past their review date, for any page.

Shows a member the personas they own that are due, and an admin every due persona
(seed 003: personas that are not kept up to date mislead). One query; nothing when none.
Use it on a landing or overview page: `{% load personas_review %}{% persona_review_notice %}`.
"""

from django import template
from django.utils import timezone

from personas.selectors import personas_review_due
from portal.models import Role

register = template.Library()


@register.inclusion_tag("personas/_review_notice.html", takes_context=True)
def persona_review_notice(context) -> dict:
    tenant, membership = context.get("tenant"), context.get("membership")
    if tenant is None or membership is None:
        return {"due": []}
    is_admin = membership.role == Role.ADMIN
    due = personas_review_due(
        tenant=tenant, today=timezone.localdate(), owner=None if is_admin else membership
    )
    mine = [p for p in due if p.owner_id == membership.pk]
    return {"tenant": tenant, "due": due, "mine": mine, "is_admin": is_admin}
