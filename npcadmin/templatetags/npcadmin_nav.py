"""The dashboard's cards in templates: `{% area_cards as area_cards %}`."""

from django import template

from npcadmin.navigation import area_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def area_cards(context):
    request = context.get("request")
    return area_counts(request.user) if request is not None else []
