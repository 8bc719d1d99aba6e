# Record what was pushed into the graph <urn:metrograph:target>: the SHA-256 of its N-Triples
# (sorted lines) and the number of triples the server stored.
#
# Sent by `metrograph push` (stores/remote/state.py) in the request that puts the graph in place
# (one transaction on Oxigraph), or right after it (Virtuoso, where the record was removed
# before the move by forget.ru), so that a record never describes a graph it does not hold.
# Parameters: the graph name and the two literals, replaced by the writer with checked terms.
DELETE WHERE { GRAPH <urn:metrograph:push-state> { <urn:metrograph:target> ?p ?o } } ;
INSERT DATA {
  GRAPH <urn:metrograph:push-state> {
    <urn:metrograph:target> <urn:metrograph:push:sha256> "DIGEST" ;
                            <urn:metrograph:push:triples> "-1"^^<http://www.w3.org/2001/XMLSchema#integer> .
  }
}
