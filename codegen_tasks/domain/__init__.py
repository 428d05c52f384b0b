"""Pure domain values: the graph, a service spec, files, results. No vendor library here."""
