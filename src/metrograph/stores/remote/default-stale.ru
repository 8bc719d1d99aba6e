# Say that the default graph no longer is the union of the named graphs (a graph changed).
#
# Sent by `metrograph push` (stores/remote/state.py) in the request that puts a graph in place,
# on servers that run it as one transaction; the marker is removed by the request that
# rebuilds the default graph (default-union.ru), so a push that fails between the two leaves
# the marker, and the next push rebuilds the default graph even if no graph changed then.
# Parameters: none.
INSERT DATA {
  GRAPH <urn:metrograph:push-state> {
    <urn:metrograph:push-state> <urn:metrograph:push:default-graph> "stale"
  }
}
