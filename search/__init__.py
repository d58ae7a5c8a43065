"""Full-text search over the archive (Whoosh, with Chinese bigram + jieba analysis).

Public API:
  search.index.index_documents(index_dir, docs, source=..., notify=...)   on issue / import
  search.index.delete_documents(index_dir, archive_ids)
  search.index.rebuild(index_dir, docs)                                   from the whole archive
  search.query.search(index_dir, query, type=..., year=..., unit=..., ...)

Submodules are not imported here, so ``import search`` stays cheap.
"""
