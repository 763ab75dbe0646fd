from django import template

register = template.Library()


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name: str):
    """The bound field ``name`` of ``form`` (templates cannot index by a variable)."""
    return form[name]
