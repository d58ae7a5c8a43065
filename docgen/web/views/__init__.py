"""One module per kind of page (as datasette's views/): each gathers data through
docgen.web.data and hands a dict to a template."""
