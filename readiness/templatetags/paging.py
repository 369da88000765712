from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, number) -> str:
    """The page's query string (``query`` in the context: the filters and order it was
    made with) with ``page`` set to ``number``, for links between pages."""
    query = context["query"].copy()
    query["page"] = number
    return query.urlencode()
