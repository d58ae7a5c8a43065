"""Templates a clerk edited in an office suite still render the same documents (issue 13 §2),
and `docgen template check` names a broken tag with its paragraph's text."""

from __future__ import annotations

import difflib
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import REPO, W
from docgen.casefile import all_case_ids, load_case
from docgen.render import Renderer
from docgen.workspace import Workspace

MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
TEMPLATES = sorted(p.name for p in (REPO / "templates").glob("*.docx"))
SAMPLES = [(case_id, path.stem) for case_id in all_case_ids(Workspace(REPO))
           for path in sorted(load_case(Workspace(REPO), case_id).document_paths())]
TEMPLATED = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")


# ---------------------------------------------------------------- what a reader sees

def document_text(docx: bytes) -> list[str]:
    """Each non-empty paragraph of body, text boxes, tables, headers and footers, as printed:
    tabs and breaks kept, a field's cached result left out (LibreOffice refreshes page
    numbers when it saves), and LibreOffice's fallback copy of a text box read once."""
    out = []
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        for name in sorted(n for n in zf.namelist() if TEMPLATED.match(n)):
            root = etree.fromstring(zf.read(name))
            for p in root.iter(f"{W}p"):
                if any(a.tag == MC_FALLBACK for a in p.iterancestors()):
                    continue
                text, in_result = "", False
                for node in p.iter():
                    if next(node.iterancestors(f"{W}p"), None) is not p:
                        continue
                    if node.tag == f"{W}fldChar":
                        in_result = node.get(f"{W}fldCharType") == "separate"
                    elif in_result:
                        continue
                    elif node.tag == f"{W}t":
                        text += node.text or ""
                    elif node.tag == f"{W}tab" and node.getparent().tag == f"{W}r":
                        text += "\t"
                    elif node.tag == f"{W}br":
                        text += "\n"
                if text.strip():
                    out.append(f"{name}: {text}")
    return out


def rendered_texts(root: Path) -> dict[str, list[str]]:
    ws = Workspace(root)
    renderer = Renderer(ws)
    return {f"{case_id}/{doc_id}": document_text(renderer.render_bytes(load_case(ws, case_id).document(doc_id)))
            for case_id, doc_id in SAMPLES}


def assert_same_documents(expected: dict, got: dict) -> None:
    assert expected.keys() == got.keys()
    for key in expected:
        # both ways: every paragraph of one is in the other, in the same order
        diff = "\n".join(difflib.unified_diff(expected[key], got[key], "built-in", "edited", lineterm="", n=1))
        assert expected[key] == got[key], f"{key}:\n{diff}"


@pytest.fixture(scope="module")
def original_texts(tmp_path_factory):
    return rendered_texts(REPO)


def workspace_with(tmp_path: Path, templates: dict[str, bytes]) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    for name in ("office.yaml", "rules.yaml"):
        shutil.copy(REPO / name, root)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "casefiles", root / "casefiles")
    (root / "archive").mkdir()
    for name, data in templates.items():
        (root / "templates" / name).write_bytes(data)
    return root


# ---------------------------------------------------------------- LibreOffice, for real

def saved_by_libreoffice(paths: list[Path], tmp: Path) -> dict[str, bytes]:
    """Each .docx opened in LibreOffice and saved as .docx unchanged, by file name."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is needed: make sysdeps")
    subprocess.run([soffice, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--norestore",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(tmp / "out"), *map(str, paths)],
                   check=True, capture_output=True, timeout=300)
    return {path.name: (tmp / "out" / path.name).read_bytes() for path in paths}


@pytest.fixture(scope="module")
def libreoffice_saved(tmp_path_factory) -> dict[str, bytes]:
    """Every built-in template opened in LibreOffice and saved as .docx unchanged."""
    return saved_by_libreoffice([REPO / "templates" / name for name in TEMPLATES], tmp_path_factory.mktemp("lo"))


def test_libreoffice_really_rewrote_the_templates(libreoffice_saved):
    """What the normalisation has to undo is there (else the next test proves nothing)."""
    summons = libreoffice_saved["summons.docx"]
    with zipfile.ZipFile(io.BytesIO(summons)) as zf:
        core = zf.read("docProps/core.xml").decode()
        styles = zf.read("word/styles.xml").decode()
        names = zf.namelist()
    assert "&apos;" in core
    assert 'w:styleId="Body"' not in styles and "公文正文" in styles
    assert "word/footer-blank.xml" not in names


def test_templates_saved_by_libreoffice_render_the_same_text(libreoffice_saved, original_texts, tmp_path):
    root = workspace_with(tmp_path, libreoffice_saved)
    assert_same_documents(original_texts, rendered_texts(root))


def test_templates_saved_by_libreoffice_print_the_same_pages(libreoffice_saved, tmp_path):
    """On the PDF: same pages, same text on each (the 版记 box keeps its size and place, the
    paragraphs their styles), for a 文件格式 and a 信函格式 document."""
    root = workspace_with(tmp_path, libreoffice_saved)
    documents = [("2021-yt-001", "summons"), ("2021-dc-002", "feedback")]
    assert printed_pages(REPO, documents, tmp_path / "built-in") == printed_pages(root, documents, tmp_path / "edited")


def printed_pages(root: Path, documents: list[tuple[str, str]], out: Path) -> list[list[str]]:
    """The text of each page of each document (case id, document id) as the workspace prints it."""
    from pypdf import PdfReader

    from docgen.render import Rendered, typeset

    ws = Workspace(root)
    renderer = Renderer(ws)
    rendered = []
    out.mkdir()
    for case_id, doc_id in documents:
        doc = load_case(ws, case_id).document(doc_id)
        path = out / f"{case_id}-{doc_id}.docx"
        path.write_bytes(renderer.render_bytes(doc))
        rendered.append(Rendered(doc, path, ""))
    return [[page.extract_text() for page in PdfReader(pdf).pages] for pdf in typeset(renderer, rendered)]


def test_libreoffice_template_passes_check(libreoffice_saved, tmp_path):
    from docgen.templatecheck import check_templates

    assert check_templates(Workspace(workspace_with(tmp_path, libreoffice_saved))) == []


# ---------------------------------------------------------------- as Word saves an edit

def split_runs(docx: bytes) -> bytes:
    """Every run cut into one-character runs, as Word leaves text typed a little at a time:
    each with its own rsid, spelling marks round some, bookmarks and rendered page breaks
    between others, and the odd tracked insertion."""
    serial = iter(range(1, 10**6))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if TEMPLATED.match(info.filename):
                root = etree.fromstring(data)
                for run in list(root.iter(f"{W}r")):
                    texts = run.findall(f"{W}t")
                    if len(texts) != 1 or len(texts[0].text or "") < 2 or len(run) > 2:
                        continue
                    rpr = run.find(f"{W}rPr")
                    parent, index = run.getparent(), run.getparent().index(run)
                    pieces = []
                    for char in texts[0].text:
                        n = next(serial)
                        piece = etree.Element(f"{W}r", {f"{W}rsidR": f"{0x00A0B000 + n:08X}"})
                        if rpr is not None:
                            piece.append(etree.fromstring(etree.tostring(rpr)))
                        if n % 7 == 0:
                            etree.SubElement(piece, f"{W}lastRenderedPageBreak")
                        t = etree.SubElement(piece, f"{W}t")
                        t.text = char
                        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                        if n % 5 == 0:
                            pieces.append(etree.Element(f"{W}proofErr", {f"{W}type": "spellStart"}))
                        if n % 11 == 0:
                            pieces.append(etree.Element(f"{W}bookmarkStart", {f"{W}id": str(n), f"{W}name": f"_Tag{n}"}))
                            pieces.append(etree.Element(f"{W}bookmarkEnd", {f"{W}id": str(n)}))
                        if n % 13 == 0:  # a tracked insertion by another editor
                            ins = etree.Element(f"{W}ins", {f"{W}id": str(n), f"{W}author": "科员"})
                            ins.append(piece)
                            piece = ins
                        pieces.append(piece)
                        if n % 5 == 0:
                            pieces.append(etree.Element(f"{W}proofErr", {f"{W}type": "spellEnd"}))
                    parent.remove(run)
                    for i, piece in enumerate(pieces):
                        parent.insert(index + i, piece)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info, data)
    return out.getvalue()


def test_split_runs_helper_splits_the_tags():
    data = split_runs((REPO / "templates" / "summons.docx").read_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml").decode()
    assert "{{ unit }}" not in xml and ">{<" in xml and "proofErr" in xml and "w:ins " in xml


def test_templates_split_run_by_run_render_the_same_text(original_texts, tmp_path):
    split = {name: split_runs((REPO / "templates" / name).read_bytes()) for name in TEMPLATES}
    assert_same_documents(original_texts, rendered_texts(workspace_with(tmp_path, split)))


def edited(name: str, *changes: tuple[str, str], part: str = "word/document.xml",
           source: bytes | None = None) -> bytes:
    """A built-in template (or `source`) with text replaced in one of its parts, as a clerk's
    edit would."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source) if source else REPO / "templates" / name) as zin, \
            zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                text = data.decode()
                for old, new in changes:
                    assert old in text, old
                    text = text.replace(old, new, 1)
                data = text.encode()
            zout.writestr(info, data)
    return out.getvalue()


UNIT = "<w:r><w:t>{{ unit }}：</w:t></w:r>"


@pytest.mark.parametrize("label, replacement", [
    # autocorrect's curly quotes and a no-break space inside expressions
    ("smart quotes", None),
    # a hyperlink an editor laid over half of a tag
    ("hyperlink", '<w:hyperlink w:anchor="x"><w:r><w:t>{{ un</w:t></w:r></w:hyperlink><w:r><w:t>it }}：</w:t></w:r>'),
    # a field wrapped round a tag, its result split and partly a tracked insertion
    ("field", '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> MERGEFIELD unit'
              ' </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{{ un</w:t></w:r>'
              '<w:ins w:id="9" w:author="科员"><w:r><w:t>it }}</w:t></w:r></w:ins><w:r><w:fldChar w:fldCharType="end"/>'
              '</w:r><w:r><w:t>：</w:t></w:r>'),
    ("simple field", '<w:fldSimple w:instr=" MERGEFIELD unit "><w:r><w:t>{{ unit }}</w:t></w:r></w:fldSimple>'
                     '<w:r><w:t>：</w:t></w:r>'),
])
def test_what_editors_wrap_round_tags_is_undone(label, replacement, original_texts, tmp_path):
    if replacement is None:
        data = edited("summons.docx", ("join('，')", "join(\u2018，\u2019)"), ("{{ time }}", "{{\u00a0time }}"))
    else:
        data = edited("summons.docx", (UNIT, replacement))
    root = workspace_with(tmp_path, {"summons.docx": data})
    ws = Workspace(root)
    docx = Renderer(ws).render_bytes(load_case(ws, "2021-yt-001").document("summons"))
    assert document_text(docx) == original_texts["2021-yt-001/summons"]
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        body = zf.read("word/document.xml").decode()
    assert "MERGEFIELD" not in body and "w:hyperlink" not in body  # the value is not replaced on update


# ---------------------------------------------------------------- tracked changes, and what wraps an inline block

# hazard_notice's 联系人 paragraph; of the type's two samples one gives a contact and one does
# not, so an inline {% if contact is defined %} takes both branches (each test renders both)
CONTACT = ('<w:p><w:pPr><w:pStyle w:val="Body"/></w:pPr><w:r><w:t>联系人：{{ contact | default(office.contact) }}，'
           '联系电话：{{ phone | default(office.phone) }}。</w:t></w:r></w:p>')
PERSON = "{{ contact | default(office.contact) }}"
PHONE = "，联系电话：{{ phone | default(office.phone) }}"
IF_CONTACT, ELSE_ENDIF = "{% if contact is defined %}{{ contact }}", "{% else %}{{ office.contact }}{% endif %}"
BODY = '<w:pPr><w:pStyle w:val="Body"/></w:pPr>'
_serial = iter(range(900, 10**6))


def _run(text: str, props: str = "") -> str:
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


def _by_clerk() -> str:
    return f'w:id="{next(_serial)}" w:author="科员" w:date="2021-09-01T10:00:00Z"'


def _tracked(kind: str, *content: str) -> str:
    """A tracked insertion, deletion or move, as Word and WPS write it with 修订 on."""
    return f"<w:{kind} {_by_clerk()}>{''.join(content)}</w:{kind}>"


def _deleted(text: str) -> str:
    return _tracked("del", f'<w:r><w:delText xml:space="preserve">{text}</w:delText></w:r>')


def _para(*content: str, props: str = BODY) -> str:
    return f"<w:p>{props}{''.join(content)}</w:p>"


def _range(kind: str, *content: str) -> str:
    """A move's range marks round its content, as Word writes them."""
    n = next(_serial)
    return (f'<w:{kind}RangeStart w:id="{n}" w:author="科员" w:name="move{n}"/>'
            + _tracked(kind, *content) + f'<w:{kind}RangeEnd w:id="{n}"/>')


def _deleted_mark(style: str = "") -> str:
    return f'<w:pPr>{style}<w:rPr><w:del {_by_clerk()}/></w:rPr></w:pPr>'


# Each, read with every change accepted, says what CONTACT says.
TRACKED = [
    # the default turned into an if/else, {% if %} before the insertion and {% endif %} in it
    ("if before an insertion, endif in it",
     _para(_run("联系人：" + IF_CONTACT), _deleted(PERSON), _tracked("ins", _run(ELSE_ENDIF)), _run(PHONE + "。"))),
    # the same, {% if %} in the insertion and {% endif %} after it
    ("if in an insertion, endif after it",
     _para(_run("联系人："), _tracked("ins", _run(IF_CONTACT + "{% else %}{{ office.contact }}")), _deleted(PERSON),
           _run("{% endif %}" + PHONE + "。"))),
    # a misspelt field and a block begun, both deleted: Jinja must not run them
    ("deletion holding tags", _para(_run("联系人："), _deleted("{{ contcat }}{% if phone %}"), _run(PERSON + PHONE + "。"))),
    # a tag cut by an insertion's edge; a run's and the paragraph's formatting changed
    ("tag split across an insertion boundary",
     _para(_run("联系人：{{ contact | def"),
           _tracked("ins", _run("ault(office.contact) }}，联系电话：{{ pho",
                                f'<w:rPr><w:b/><w:rPrChange {_by_clerk()}><w:rPr/></w:rPrChange></w:rPr>')),
           _run("ne | default(office.phone) }}。"),
           props=f'<w:pPr><w:pStyle w:val="Body"/><w:pPrChange {_by_clerk()}><w:pPr><w:jc w:val="center"/>'
                 '</w:pPr></w:pPrChange></w:pPr>')),
    # text moved: Word keeps it where it was (w:moveFrom) as well as where it went (w:moveTo)
    ("moved text", _para(_range("moveFrom", _run(PHONE)), _run("联系人：" + PERSON), _range("moveTo", _run(PHONE)),
                         _run("。"))),
    # a {%p if %} paragraph deleted whole, and the paragraph cut in two joined again
    ("deleted paragraphs", _para(_deleted("{%p if contact is defined %}"), props=_deleted_mark())
     + _para(_run("联系人：" + PERSON), props=_deleted_mark('<w:pStyle w:val="Body"/>')) + _para(_run(PHONE + "。"))),
]
# What an editor wraps round runs, with one end of an inline block inside and one outside;
# bookmarks and proofing marks left astride the block's ends.
WRAPPED = [
    ("smart tag", _para(_run("联系人：" + IF_CONTACT), '<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags"'
                        ' w:element="PersonName">', _run(ELSE_ENDIF), "</w:smartTag>", _run(PHONE + "。"))),
    ("custom XML", _para(_run("联系人："), '<w:customXml w:uri="urn:gov:docs" w:element="contact">',
                         _run(IF_CONTACT + "{% else %}"), "</w:customXml>",
                         _run("{{ office.contact }}{% endif %}" + PHONE + "。"))),
    ("content control", _para('<w:bookmarkStart w:id="7" w:name="联系人"/>', _run("联系人：" + IF_CONTACT),
                              '<w:proofErr w:type="spellStart"/><w:sdt><w:sdtPr><w:alias w:val="联系人"/></w:sdtPr>'
                              '<w:sdtContent>', _run("{% else %}"), '<w:bookmarkEnd w:id="7"/>',
                              _run("{{ office.contact }}{% endif %}"), '</w:sdtContent></w:sdt>',
                              '<w:proofErr w:type="spellEnd"/>', _run(PHONE + "。"))),
]
# A row of bulletin's table deleted whole, its {%tr endfor %} with it (a second one, a slip).
DELETED_ROW = ("</w:tr></w:tbl>", f'</w:tr><w:tr><w:trPr><w:del {_by_clerk()}/></w:trPr><w:tc><w:tcPr><w:gridSpan w:val="7"/>'
               f'</w:tcPr>{_para(_deleted("{%tr endfor %}"), props="")}</w:tc></w:tr></w:tbl>')
EDITS = [(label, "hazard_notice", CONTACT, paragraph) for label, paragraph in TRACKED + WRAPPED] \
    + [("deleted table row", "bulletin", *DELETED_ROW)]
REVISION_MARK = re.compile(r"<w:(ins|del|moveFrom|moveTo)[ >/]|<w:\w+Change[ >/]|<w:\w+RangeStart|<w:delText|trackRevisions")


def with_tracking(data: bytes) -> bytes:
    """The template as saved with 修订 still on."""
    return edited("", ("<w:zoom ", "<w:trackRevisions/><w:zoom "), part="word/settings.xml", source=data)


def samples_of(type_id: str) -> list[tuple[str, str]]:
    found = [(case_id, doc_id) for case_id, doc_id in SAMPLES if doc_id == type_id]
    assert len(found) == 2  # a value given in one and not in the other
    return found


@pytest.mark.parametrize("label, type_id, old, new", EDITS, ids=[e[0] for e in EDITS])
def test_inline_blocks_and_tags_across_tracked_changes_and_wrappers(label, type_id, old, new, original_texts,
                                                                    workspace, run):
    (workspace / "templates" / f"{type_id}.docx").write_bytes(with_tracking(edited(f"{type_id}.docx", (old, new))))
    ws = Workspace(workspace)
    renderer = Renderer(ws)
    for case_id, doc_id in samples_of(type_id):
        docx = renderer.render_bytes(load_case(ws, case_id).document(doc_id))
        assert document_text(docx) == original_texts[f"{case_id}/{doc_id}"]
        with zipfile.ZipFile(io.BytesIO(docx)) as zf:
            xml = {name: zf.read(name).decode() for name in ("word/document.xml", "word/settings.xml")}
        # the issued document shows no 修订 of the template's editor, and does not track its reader's
        assert not any(REVISION_MARK.search(text) for text in xml.values()), label
        assert "科员" not in xml["word/document.xml"]
    checked = run("template", "check", type_id)
    assert checked.exit_code == 0, checked.stderr


def test_tracked_template_saved_by_libreoffice_prints_the_same_pages(tmp_path):
    """A template edited with 修订 on, saved again by LibreOffice (which keeps the revisions in
    its own way), prints the pages the built-in template prints, deleted text nowhere."""
    tracked = dict(TRACKED)
    data = edited("hazard_notice.docx", (CONTACT, tracked["if in an insertion, endif after it"]),
                  ('<w:r><w:t>隐患整改到位后，', _deleted("（已删去的旧要求）") + '<w:r><w:t>隐患整改到位后，'))
    (tmp_path / "hazard_notice.docx").write_bytes(with_tracking(data))
    saved = saved_by_libreoffice([tmp_path / "hazard_notice.docx"], tmp_path)
    with zipfile.ZipFile(io.BytesIO(saved["hazard_notice.docx"])) as zf:
        assert "<w:ins " in zf.read("word/document.xml").decode()  # LibreOffice kept the revisions
    root = workspace_with(tmp_path, saved)
    documents = samples_of("hazard_notice")
    printed = printed_pages(root, documents, tmp_path / "edited")
    assert printed_pages(REPO, documents, tmp_path / "built-in") == printed
    assert not any("旧要求" in text for pdf in printed for text in pdf)


# ---------------------------------------------------------------- docgen template check

BROKEN = [
    ("unclosed if", [("<w:p><w:pPr/><w:r><w:t>{%p endif %}</w:t></w:r></w:p>", "")],
     ["{%p if copy_no %}", "{{ copy_no }}", "没有对应的 {%p endif %}"]),
    ("misspelt variable", [("{{ unit }}", "{{ unti }}")],
     ["「{{ unti }}：」", "「unti」", "summons", "没有这个字段", "「unit」"]),
    ("stray character", [("{{ time }}", "{{ time }x}")], ["约谈时间：{{ time }x}。", "残缺的标签"]),
    ("spaced braces", [("{{ place }}", "{ { place }}")], ["约谈地点：{ { place }}。", "残缺的标签"]),
    ("full-width bracket", [("ordinal(3)", "ordinal（3）")], ["ordinal（3）", "全角字符「（」", "半角「(」"]),
    ("misspelt office value", [("office.regulation", "office.regulaton")],
     ["根据《{{ office.regulaton }}》", "「regulation」"]),
    ("misspelt filter", [("join('，')", "jion('，')")], ["「jion」", "过滤器", "「join」"]),
    ("block across paragraphs", [("{%p endif %}", "{% endif %}")], ["{%p if copy_no %}", "{% endif %}", "不配对"]),
    ("tag in a field code", [(UNIT, '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> {{ unit }}'
                              ' </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')],
     ["域代码", "{{ unit }}"]),
]


@pytest.mark.parametrize("label, changes, said", BROKEN, ids=[b[0] for b in BROKEN])
def test_template_check_names_the_broken_tag_and_its_paragraph(label, changes, said, workspace, run):
    (workspace / "templates" / "summons.docx").write_bytes(edited("summons.docx", *changes))
    result = run("template", "check", "约谈通知书")
    assert result.exit_code == 1
    message = result.stderr
    assert "templates/summons.docx" in message
    for words in said:
        assert words in message, message
    assert not re.search(r"unexpected|expected|[Ee]ncountered|looking for|[Nn]o filter|got '", message)  # Jinja's English
    # docgen check runs it too, and fails
    checked = run("check", "--json")
    assert checked.exit_code == 1
    assert any(e["file"] == "templates/summons.docx" for e in json.loads(checked.stdout)["errors"])


def test_template_check_passes_the_built_in_templates(run):
    result = run("template", "check")
    assert result.exit_code == 0, result.stderr
    assert "通过" in result.stdout


def test_template_check_takes_an_edited_copy_by_path(run, tmp_path):
    copy = tmp_path / "summons.docx"
    copy.write_bytes(edited("summons.docx", ("{{ unit }}", "{{ unti }}")))
    result = run("template", "check", str(copy))
    assert result.exit_code == 1 and "unti" in result.stderr
    other = tmp_path / "草稿.docx"
    other.write_bytes(copy.read_bytes())
    result = run("template", "check", str(other))
    assert result.exit_code == 1 and "不对应任何文书类型" in result.stderr


@pytest.mark.parametrize("label, changes", [
    ("unclosed if", [("<w:p><w:pPr/><w:r><w:t>{%p endif %}</w:t></w:r></w:p>", "")]),
    ("block across paragraphs", [("{%p endif %}", "{% endif %}")]),
    ("misspelt filter", [("join('，')", "jion('，')")]),
])
def test_rendering_a_broken_template_says_what_is_wrong_in_chinese(label, changes, workspace, run):
    """Rendering without `template check` first: the error is Chinese too, and points there."""
    (workspace / "templates" / "summons.docx").write_bytes(edited("summons.docx", *changes))
    result = run("render", "2021-yt-001", "summons")
    assert result.exit_code == 1
    assert "模板 summons.docx 有误" in result.stderr and "docgen template check summons" in result.stderr
    assert not re.search(r"unexpected|expected|[Ee]ncountered|looking for|[Nn]o filter|Jinja", result.stderr), \
        result.stderr
    assert not list((workspace / "out").glob("**/*.docx")) if (workspace / "out").exists() else True
