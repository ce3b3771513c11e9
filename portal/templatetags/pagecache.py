"""`{% pagecache "name" %}…{% endpagecache %}`: content cached per tenant data version
(portal.pagecache)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from portal.pagecache import cached_fragment

register = template.Library()


class PageCacheNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: template.base.FilterExpression):
        self.nodelist = nodelist
        self.name = name

    def render(self, context: template.Context) -> str:
        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)

        def render(csrf_token: str | None) -> str:
            if csrf_token is None:
                return self.nodelist.render(context)
            with context.push(csrf_token=csrf_token):
                return self.nodelist.render(context)

        return mark_safe(cached_fragment(request, str(self.name.resolve(context)), render))


@register.tag
def pagecache(parser: template.base.Parser, token: template.base.Token) -> PageCacheNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the fragment's name")
    nodelist = parser.parse(("endpagecache",))
    parser.delete_first_token()
    return PageCacheNode(nodelist, parser.compile_filter(bits[1]))
