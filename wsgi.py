"""Entry point for `flask --app wsgi …` and `gunicorn wsgi:app`."""
import sys

from marketplace import create_app
from marketplace.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A missing or wrong setting: one line that says what to set, not a traceback. Exit status 4 is
    # gunicorn's "application failed to load", so a worker that loads the app (no preload) stops the
    # server instead of being started again and again.
    print(f"Etalase Metro cannot start: {error}", file=sys.stderr)
    sys.exit(4)
