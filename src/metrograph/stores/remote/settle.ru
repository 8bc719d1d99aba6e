# Each fact once: what a push wrote is removed from <urn:metrograph:target>, a graph an earlier
# push recorded that this push left in place (a part renamed, a file pushed again after an
# edit, which renames its content-named graph). A server whose default graph is the union of
# its graphs (Oxigraph's --union-default-graph, Virtuoso) would otherwise give each solution
# once per graph holding its facts, multiplying every count.
#
# Deleted: the ground triples that one of the pushed graphs <urn:metrograph:kept> holds; and each
# blank node of the target none of whose neighbours is a blank node, when a pushed graph holds a
# blank node with the same triples (both ways), with its triples.
#
# Sent by `metrograph push` (stores/remote/writer.py), once per such graph.
# Parameters: the target and the pushed graphs, replaced by the writer with checked IRIs (the
# protocol cannot bind graph names of an update).
DELETE { GRAPH <urn:metrograph:target> { ?s ?p ?o } }
WHERE {
  GRAPH <urn:metrograph:target> { ?s ?p ?o }
  FILTER(!isBlank(?s) && !isBlank(?o))
  VALUES ?g { <urn:metrograph:kept> }
  GRAPH ?g { ?s ?p ?o }
}
;
DELETE { GRAPH <urn:metrograph:target> { ?s ?p ?o } }
WHERE {
  { SELECT DISTINCT ?b WHERE {
      GRAPH <urn:metrograph:target> { ?a ?r ?b }
      FILTER(isBlank(?b) && !isBlank(?a))
      VALUES ?g { <urn:metrograph:kept> }
      GRAPH ?g { ?a ?r ?k }
      FILTER(isBlank(?k))
      FILTER NOT EXISTS { GRAPH <urn:metrograph:target> { ?b ?p1 ?o1 }
                          FILTER(isBlank(?o1) || NOT EXISTS { GRAPH ?g { ?k ?p1 ?o1 } }) }
      FILTER NOT EXISTS { GRAPH <urn:metrograph:target> { ?s2 ?p2 ?b }
                          FILTER(isBlank(?s2) || NOT EXISTS { GRAPH ?g { ?s2 ?p2 ?k } }) }
      FILTER NOT EXISTS { GRAPH ?g { ?k ?p3 ?o3 }
                          FILTER(isBlank(?o3) || NOT EXISTS { GRAPH <urn:metrograph:target> { ?b ?p3 ?o3 } }) }
      FILTER NOT EXISTS { GRAPH ?g { ?s4 ?p4 ?k }
                          FILTER(isBlank(?s4) || NOT EXISTS { GRAPH <urn:metrograph:target> { ?s4 ?p4 ?b } }) }
  } }
  GRAPH <urn:metrograph:target> { { ?b ?p ?o BIND(?b AS ?s) } UNION { ?s ?p ?b BIND(?b AS ?o) } }
}
