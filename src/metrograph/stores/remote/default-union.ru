# The default graph becomes the distinct union of the named graphs, writing only the difference.
#
# Sent by `metrograph push` to a server whose default graph is a graph of its own (Oxigraph
# without --union-default-graph), after the release's graphs are in place, so that the raw
# queries/*.rq files, which read the default graph, see the same facts as metrograph's stores:
# each triple once, however many graphs hold it. Staging graphs of pushes under way
# (urn:metrograph:staging:...) are left out. One request: Oxigraph runs it as one transaction;
# pushing an unchanged release writes nothing (and is not sent: see state.py). Sent after
# default-settled.ru, in the same request.
# Parameters: none.
DELETE { ?s ?p ?o }
WHERE {
  ?s ?p ?o
  FILTER NOT EXISTS {
    GRAPH ?g { ?s ?p ?o }
    FILTER (!STRSTARTS(STR(?g), "urn:metrograph:staging:"))
  }
} ;
INSERT { ?s ?p ?o }
WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (!STRSTARTS(STR(?g), "urn:metrograph:staging:"))
  FILTER NOT EXISTS { ?s ?p ?o }
}
