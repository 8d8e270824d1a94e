"""`{% include_kept "template.html" name=value ... %}`: the template rendered with
those values alone, once per process for each distinct set of values (core.kept).

Like `{% include ... with ... only %}`, the included template sees nothing of the
page but its arguments (and the request's CSRF token, put in per request), so every
value it shows must be passed. The site's header and footer are drawn this way on
every page (base.html; issue 19).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from core.kept import render_kept

register = template.Library()


@register.simple_tag(takes_context=True)
def include_kept(context, template_name: str, **values) -> SafeString:
    return render_kept(template_name, values, context.get("csrf_token"))
