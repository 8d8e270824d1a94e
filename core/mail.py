"""The development e-mail backend: messages printed as a person reads them.

Django's console backend prints the encoded message, and a long line (a verification
or password-reset link) comes out quoted-printable, broken with "=" at 76 characters
and "=3D" for every "=": copied from the terminal, the link fails. This backend prints
the headers a person needs and the plain-text body as written, so every link is whole
on one line. `config/settings.py` uses it instead of the console backend when DEBUG is
on (`make run`); with DEBUG off the console backend stays, and `check --deploy` still
refuses it (mail.E001).
"""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleBackend

RULE = "-" * 79


class ReadableConsoleBackend(ConsoleBackend):
    def write_message(self, message) -> None:
        lines = [
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
        ]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        lines += [f"Subject: {message.subject}", ""]
        body = message.body
        alternatives = getattr(message, "alternatives", [])
        if message.content_subtype == "html":
            lines.append("(HTML only; its source follows)")
        lines.append(body.rstrip("\n"))
        for alternative in alternatives:
            content, mimetype = alternative[0], alternative[1]
            lines.append(f"\n[{mimetype} version of {len(content)} characters]")
        for attachment in getattr(message, "attachments", []):
            name = getattr(attachment, "filename", None) or "attachment"
            lines.append(f"[attached: {name}]")
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write(RULE + "\n")
