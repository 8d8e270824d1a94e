from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode


class AccountAdapter(DefaultAccountAdapter):
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new learner's first stop is the profile: certificates need a legal name.
        return reverse("accounts:profile")

    def get_email_confirmation_url(
        self, request: HttpRequest, emailconfirmation
    ) -> str:
        """allauth's confirmation link, keeping where the learner was going.

        A learner who signs up from a course page ("Sign up to enroll", `next`)
        confirms in the same browser and allauth resumes her sign-up, with its
        `next`: back to the course, enrolment one click away. Confirmed elsewhere (a
        phone's mail app, another browser), that sign-up is not in the session;
        the link's own `next` then sends her to log in, and from there to the
        course."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        intent = get_next_redirect_url(request) if request is not None else None
        if not intent:
            return url
        log_in = f"{reverse('account_login')}?{urlencode({'next': intent})}"
        return f"{url}?{urlencode({'next': log_in})}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Renders the message now, sends it from a task after the request commits.

        Every account e-mail (sign-up verification, "you already have an account",
        password reset, MFA notices) leaves the request the same way, so the time a
        sign-up takes does not depend on which e-mail it triggers, and a slow or down
        mail server never holds up (or fails) a request.
        """
        from .tasks import send_account_email

        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **_on_site_url(context, request),
            "site_url": settings.SITE_URL,
        }
        message = self.render_mail(template_prefix, email, ctx)
        send_account_email.delay_on_commit(_serializable(message))


def _on_site_url(context: dict, request: HttpRequest | None) -> dict:
    """allauth builds its links (activate_url, password_reset_url, signup_url...) from
    the request's host; every link Lifeline mails starts with SITE_URL instead, like
    those in certificates and their QR codes, whatever Host header a request had."""
    if request is None:
        return context
    host = request.get_host()
    return {key: _moved(value, host) for key, value in context.items()}


def _moved(value, host: str):
    if not isinstance(value, str):
        return value
    url = urlsplit(value)
    if url.scheme not in ("http", "https") or url.netloc != host:
        return value
    return settings.SITE_URL + urlunsplit(("", "", url.path, url.query, url.fragment))


def _serializable(message: EmailMessage) -> dict:
    """What the task needs to rebuild `message`: plain JSON."""
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ),
        None,
    )
    body = message.body
    if message.content_subtype == "html":  # an HTML-only template
        html, body = body, ""
    return {
        "subject": message.subject,
        "body": body,
        "html": html,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
    }
