"""Full-text search over the archive: exact Chinese matching on Whoosh, ranking, filters.

By concern:
  search.analysis   folding what people type and what documents say; bigrams; title words
  search.index      the Whoosh index: schema, open-or-recreate, locked writes, rebuild, catch-up
  search.query      the query syntax → Whoosh queries (Phrase/Term/Prefix/And/Or/Not …)
  search.engine     those queries evaluated as sets of documents; ranking; newest first
  search.results    hits, highlighted snippets, the JSON shape
  search.backend    the seam a search server could plug into; ``search()``, the entry point
  search.source     the archive as the index's source

What the rest of docgen calls:
  search.backend.search(index_dir, query, **options)        the CLI and the web
  search.index.add_documents(index_dir, docs, source=, notify=)   on issue and import
  search.index.rebuild(index_dir, docs, notify=, procs=)          docgen index rebuild
  search.source.archive_source(root)                          the ``source`` to pass

Submodules are not imported here, so ``import search`` stays cheap.
"""
