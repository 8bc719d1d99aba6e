# The named graph <urn:metrograph:target> becomes a copy of <urn:metrograph:new>, writing only
# the difference: the triples the new graph lacks are deleted, those the old one lacks inserted.
#
# Sent by `metrograph push` (stores/remote/writer.py) to put a staged upload in place in one
# request, which servers run as one transaction (not Virtuoso: there MOVE GRAPH is used), so the
# target is never seen half-replaced. Replacing a graph by the same triples writes nothing.
# Parameters: the two graph names above, replaced by the writer with checked IRIs (the protocol
# cannot bind graph names of an update).
DELETE { GRAPH <urn:metrograph:target> { ?s ?p ?o } }
WHERE {
  GRAPH <urn:metrograph:target> { ?s ?p ?o }
  FILTER NOT EXISTS { GRAPH <urn:metrograph:new> { ?s ?p ?o } }
} ;
INSERT { GRAPH <urn:metrograph:target> { ?s ?p ?o } }
WHERE {
  GRAPH <urn:metrograph:new> { ?s ?p ?o }
  FILTER NOT EXISTS { GRAPH <urn:metrograph:target> { ?s ?p ?o } }
}
