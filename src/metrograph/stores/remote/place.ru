# The named graph <urn:metrograph:target> becomes the staged graph <urn:metrograph:new>, which
# is then dropped: one request, which Oxigraph runs as one transaction.
#
# Sent by `metrograph push` (stores/remote/writer.py) when the target holds no triples yet,
# where copying the staged graph costs less than replace.ru's comparison of the two (measured:
# benchmarks/push.py). Not for Virtuoso, which runs a multi-operation request without a
# transaction (there MOVE GRAPH is used).
# Parameters: the two graph names above, replaced by the writer with checked IRIs.
DROP SILENT GRAPH <urn:metrograph:target> ;
ADD <urn:metrograph:new> TO <urn:metrograph:target> ;
DROP SILENT GRAPH <urn:metrograph:new>
