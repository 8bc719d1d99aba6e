# Forget what was recorded about the graph <urn:metrograph:target> (it is about to change, or
# was added to, or pruned): its next push uploads it whatever it holds.
#
# Sent by `metrograph push` (stores/remote/state.py).
# Parameters: the graph name, replaced by the writer with a checked IRI.
DELETE WHERE { GRAPH <urn:metrograph:push-state> { <urn:metrograph:target> ?p ?o } }
