"""A remote SPARQL 1.1 server behind the :class:`~metrograph.stores.base.Store` interface.

- :mod:`.http`: requests with a total deadline, a size bound, credentials and scrubbed errors
  (httpx; why not SPARQLWrapper is measured there);
- :mod:`.store`: :class:`RemoteStore`, the SPARQL 1.1 Protocol client (answers parsed by
  rdflib's result parsers);
- :mod:`.writer`: :class:`GraphWriter`, staged and atomic graph writes (Graph Store protocol,
  SPARQL Update), pruning, the default graph kept as the union;
- :mod:`.quirks`: what servers (Oxigraph, Virtuoso) do differently, and :func:`comparable`.
"""

from __future__ import annotations

from metrograph.stores.remote.http import HttpClient
from metrograph.stores.remote.quirks import comparable, comparable_rows
from metrograph.stores.remote.store import RemoteStore
from metrograph.stores.remote.writer import GraphWriter, Upload, WriteResult, ntriples

__all__ = ["GraphWriter", "HttpClient", "RemoteStore", "Upload", "WriteResult", "comparable",
           "comparable_rows", "ntriples"]
