#!/usr/bin/env python
"""Django's command-line utility for mturkdash.

`python manage.py emulator ...` runs the local MTurk, a separate Django project with its own
settings module and its own database; every other command runs the dashboard.
"""

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["emulator"]:
        os.environ["DJANGO_SETTINGS_MODULE"] = "apps.emulator.settings"
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mturkdash.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
