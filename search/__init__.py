"""Full-text search over the archive: Whoosh storage, Chinese bigram/trigram recall, jieba ranking.

What the archive calls (documents are the plain dicts described in search.index.doc_fields):

  search.index.add_documents(index_dir, docs, source=None, notify=None)   on issue / import
  search.index.delete_documents(index_dir, archive_ids)
  search.index.rebuild(index_dir, docs, notify=None, procs=1)            from the whole archive
  search.query.search(index_dir, query, type=, year=, unit=, date_from=, date_to=, limit=, sort=)

``source`` is a zero-argument callable returning every archive document; when given, a
missing or damaged index is rebuilt from it instead of starting empty. ``notify`` receives
the Chinese messages about rebuilding (default: a warning).

Submodules are not imported here, so ``import search`` stays cheap.
"""
