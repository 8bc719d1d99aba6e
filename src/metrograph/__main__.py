"""``python -m metrograph``."""

from .cli import main

raise SystemExit(main())
