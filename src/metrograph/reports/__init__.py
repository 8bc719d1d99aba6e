"""Implementation reports: one report model (:mod:`.model`, computed from a knowledge graph
through its API) laid out as Markdown (:mod:`.markdown`) and as self-contained HTML pages
(:mod:`.html`), from the Jinja2 templates in ``templates/`` and the French and English
messages in ``messages/``."""
