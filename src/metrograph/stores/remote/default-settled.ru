# Remove the marker of default-stale.ru: the default graph is (about to be) the union again.
#
# Sent by `metrograph push` (stores/remote/writer.py) in the request that rebuilds the default
# graph (before default-union.ru, or before one ADD per graph into an empty default graph), or
# alone on a server whose default graph is the union of its graphs.
# Parameters: none.
DELETE DATA {
  GRAPH <urn:metrograph:push-state> {
    <urn:metrograph:push-state> <urn:metrograph:push:default-graph> "stale"
  }
}
