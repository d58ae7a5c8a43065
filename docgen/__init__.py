"""docgen: official documents for county work-safety committee offices (县安委办).

Casefiles (YAML) are validated, rendered to GB/T 9704-2012 .docx through docxtpl templates,
converted to PDF, issued into an append-only archive and indexed for search.
"""

__version__ = "0.1.0"
