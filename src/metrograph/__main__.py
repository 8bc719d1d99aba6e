"""``python -m metrograph``."""

from metrograph.cli import main

raise SystemExit(main())
