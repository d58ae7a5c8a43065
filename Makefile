# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install sysdeps templates catalog bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# LibreOffice, poppler and the free faces that stand in for the GB/T 9704 font names.
sysdeps:
	bash packaging/install-system-deps.sh

demo: install sysdeps
	$(BIN)/python -m docgen.demo

# pytest exits 5 when it collected nothing; that must fail loudly, not pass.
test: install sysdeps
	$(BIN)/python -m pytest -q

# Rebuild the .docx templates from the GB/T 9704 rules (docgen/gbt9704.py).
templates: install
	$(BIN)/python -m docgen.blueprint templates

# click's own texts in Chinese: recompile after editing docgen/locale/zh_CN/LC_MESSAGES/docgen.po.
catalog: install
	$(BIN)/pybabel compile --domain docgen --directory docgen/locale

# Each prints its figures; the search one also runs SQLite FTS5 on the same corpus.
bench: install sysdeps
	$(BIN)/python bench/render.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/search.py --n 10000
	$(BIN)/python bench/yamlload.py
	$(BIN)/python bench/web.py --n 10000

clean:
	rm -rf $(VENV) out build *.egg-info
