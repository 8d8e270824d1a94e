#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from audit.context import enter_interface

    # Decisions made by a management command are recorded as such in the audit
    # trail; an interactive shell is recorded as the shell.
    shell = len(sys.argv) > 1 and sys.argv[1] in {"shell", "dbshell"}
    enter_interface("shell" if shell else "command")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
