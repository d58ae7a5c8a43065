"""Builds the docxtpl templates in templates/ from the GB/T 9704 rules.

The templates are ordinary .docx files a clerk may open and edit in Word, WPS or LibreOffice;
this module is how the shipped ones were made, so that every size, font, margin and rule in
them comes from docgen.gbt9704. Run `make templates` (python -m docgen.blueprint templates)
after changing a rule. Each form of §10 is one function; each document type is a list of
blocks in FORMS' frame.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.oxml import parse_xml

from docgen import gbt9704 as gb
from docgen.ooxml import BANJI_BOX, add_blank_footer, banji_size, bottom_box, child, el, exact_spacing, fixed_widths, \
    indent_chars, page_field_runs, paragraph_style, ruled_paragraph, run_fonts, run_size

LINE = gb.LINE_PITCH
BANJI_PT = gb.BANJI_PT

# style id -> (Chinese name, settings); one style per GB/T 9704 element.
STYLES = {
    "CopyNumber": ("份号", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, align="left")),
    "Marking": ("密级和紧急程度", dict(font=gb.FONT_HEI, size_pt=gb.BODY_PT, align="left")),
    "Mark": ("发文机关标志", dict(font=gb.FONT_TITLE, size_pt=36, align="center", color=gb.RED,
                            spacing=dict(before=gb.mm(35), line=gb.MARK_LINE), grid=False)),
    "LetterMark": ("信函机关标志", dict(font=gb.FONT_TITLE, size_pt=36, align="center", color=gb.RED,
                                  spacing=dict(line=gb.MARK_LINE), indent=dict(left=0, right=0), grid=False)),
    "DocNumber": ("发文字号", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, align="center",
                               spacing=dict(before=2 * LINE))),
    "DocTitle": ("公文标题", dict(font=gb.FONT_TITLE, size_pt=gb.SIZES["二号"], align="center",
                              spacing=dict(before=2 * LINE, after=LINE), keep_next=True, grid=False)),
    "Recipients": ("主送机关", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, align="both")),
    "Body": ("公文正文", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, indent=dict(first=2))),
    # §7.3.3 headings: 一、 in 黑体, （一） in 楷体, 1. and （1） in 仿宋; none ends a page
    **{f"Heading{n}GB": (f"{'一二三四'[n - 1]}级标题", dict(font=gb.HEADING_FONTS[n], size_pt=gb.BODY_PT,
                                                       indent=dict(first=2), keep_next=True, outline=n))
       for n in (1, 2, 3, 4)},
    "AttachNote": ("附件说明", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, spacing=dict(before=LINE),
                                indent=dict(left=5, hanging=3), keep_next=True)),
    "AttachMore": ("附件说明续行", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, indent=dict(left=5),
                                  keep_next=True)),
    # the name keeps with the date under it
    "Signature": ("发文机关署名", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, align="right", keep_next=True)),
    "SignDate": ("成文日期", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, align="right")),
    "Annotation": ("附注", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, indent=dict(first=2))),
    # 附件 starts a page (§7.3.6)
    "AttachLabel": ("附件标识", dict(font=gb.FONT_HEI, size_pt=gb.BODY_PT, align="left", new_page=True)),
    "AttachTitle": ("附件标题", dict(font=gb.FONT_TITLE, size_pt=gb.SIZES["二号"], align="center",
                                spacing=dict(before=LINE, after=LINE), grid=False)),
    "ListLabel": ("出席列席", dict(font=gb.FONT_BODY, size_pt=gb.BODY_PT, indent=dict(left=5, hanging=3))),
    "Banji": ("版记", dict(font=gb.FONT_BODY, size_pt=BANJI_PT, align="left",
                         spacing=dict(line=gb.BANJI_LINE), indent=dict(left=1, right=1), grid=False)),
    # 抄送: wrapped lines align with the first office name, after "抄送：".
    "BanjiCc": ("版记抄送", dict(font=gb.FONT_BODY, size_pt=BANJI_PT, align="left",
                             spacing=dict(line=gb.BANJI_LINE), indent=dict(left=4, right=1, hanging=3), grid=False)),
    "TableText": ("表格文字", dict(font=gb.FONT_BODY, size_pt=gb.TABLE_PT, align="center",
                               spacing=dict(line=gb.TABLE_LINE), grid=False)),
    "PageNumber": ("页码", dict(font=gb.FONT_SONG, size_pt=gb.SIZES["四号"], align="right",
                              spacing=dict(line=gb.PAGE_NUMBER_LINE), grid=False)),
}


class Builder:
    """Appends GB/T 9704 elements, with their Jinja placeholders, to a new document."""

    def __init__(self):
        self.doc = Document()
        self._setup()

    # ------------------------------------------------------------ page, styles, footers
    def _setup(self):
        doc = self.doc
        normal = doc.styles["Normal"]
        rpr = normal.element.get_or_add_rPr()
        run_fonts(rpr, gb.FONT_BODY)
        child(rpr, "w:spacing", w_val=gb.CHAR_CONDENSE)
        run_size(rpr, gb.BODY_PT)
        child(rpr, "w:lang", w_val="en-US", w_eastAsia="zh-CN")
        ppr = normal.element.get_or_add_pPr()
        # 撑满版心: every page the text runs past holds 22 lines, so no widow or orphan control
        child(ppr, "w:widowControl", w_val=0)
        exact_spacing(ppr)
        for style_id, (name, settings) in STYLES.items():
            paragraph_style(doc, style_id, name, **settings)
        doc.core_properties.title = "{{ title | replace('\\n', '') }}"
        doc.core_properties.author = "{{ office.name }}"
        doc.core_properties.subject = "{{ type_name }}"
        doc.core_properties.keywords = "{{ number }}；{{ case.id }}"
        doc.core_properties.comments = "docgen 模板（GB/T 9704-2012）"

        section = doc.sections[0]
        sect = section._sectPr
        child(sect, "w:pgSz", w_w=gb.PAGE_WIDTH, w_h=gb.PAGE_HEIGHT)
        child(sect, "w:pgMar", w_top=gb.MARGIN_TOP, w_bottom=gb.MARGIN_BOTTOM, w_left=gb.MARGIN_LEFT,
              w_right=gb.MARGIN_RIGHT, w_header=gb.mm(15), w_footer=gb.FOOTER_DISTANCE, w_gutter=0)
        # 22 lines a page (§5.2.2): a line grid at the body's exact line pitch.
        child(sect, "w:docGrid", w_type="lines", w_linePitch=gb.LINE_PITCH)
        # Distinct odd and even page footers (§7.5): right on odd pages, left on even.
        child(doc.settings.element, "w:evenAndOddHeaders")
        section.different_first_page_header_footer = False
        self._page_number(section.footer, "right")
        self._page_number(section.even_page_footer, "left")
        add_blank_footer(doc)

    def _page_number(self, footer, align: str):
        para = footer.paragraphs[0]
        para.style = self.style("PageNumber")
        ppr = para._p.get_or_add_pPr()
        side = "right" if align == "right" else "left"
        indent_chars(ppr, size_pt=gb.SIZES["四号"], **{side: 1})
        child(ppr, "w:jc", w_val=align)
        for run in page_field_runs(gb.SIZES["四号"], gb.FONT_SONG):
            para._p.append(run)

    def style(self, style_id: str):
        """Our styles by id (their names are Chinese, as Word shows them); built-ins by name."""
        return self.doc.styles[STYLES[style_id][0] if style_id in STYLES else style_id]

    # ------------------------------------------------------------ paragraphs
    def para(self, text: str = "", style: str = "Body", runs: list | None = None):
        p = self.doc.add_paragraph(style=self.style(style))
        if text:
            p.add_run(text)
        for run_text, font in runs or ():
            r = p.add_run(run_text)
            run_fonts(r._r.get_or_add_rPr(), font)
        return p

    def tag(self, statement: str):
        """A paragraph holding only a docxtpl paragraph tag ({%p ... %}); it vanishes on render."""
        return self.para("{%p " + statement + " %}", "Normal")

    # ------------------------------------------------------------ blocks
    def mark(self):
        """份号, 密级和保密期限 and 紧急程度 top left, each on its own line when set
        (§7.2.1-7.2.3), then the office mark (its spacing allows for those lines)."""
        for value, style in (("copy_no", "CopyNumber"), ("security_text", "Marking"), ("urgency_text", "Marking")):
            self.tag(f"if {value}")
            self.para("{{ %s }}" % value, style)
            self.tag("endif")
        self.para("{{p mark_paragraph }}", "Mark")

    def number(self):
        """发文字号 two lines under the mark, the red rule 4 mm under it (§7.2.4, §7.2.6): made by
        the render (number_paragraph), as its space above depends on the mark's size."""
        self.para("{{p number_paragraph }}", "DocNumber")

    def number_with_signer(self):
        """上行文 (§7.2.4, §7.2.7): 发文字号 left, one character in, on the line of the last
        签发人; the 签发人 right, one character in. Placed from the names' widths at render
        time (signer_block); tab stops rather than indents, so the rule under it spans the
        text block."""
        self.para("{{p signer_block }}", "DocNumber")

    def title(self):
        self.para("{{ title | title_lines }}", "DocTitle")

    def recipients(self, expr: str = "recipients"):
        self.para("{{ " + expr + " }}：", "Recipients")

    def text(self, *paragraphs: str, style: str = "Body"):
        for text in paragraphs:
            self.para(text, style)

    def heading(self, text: str):
        self.para(text, "Heading1GB")

    def paragraphs(self, expr: str):
        self.tag(f"for x in {expr}")
        self.para("{{ x }}")
        self.tag("endfor")

    def numbered(self, expr: str, level: int = 3, template: str = "{{ x | list_item(loop.last) }}"):
        self.tag(f"for x in {expr}")
        self.para("{{ loop.index | ordinal(%d) }}%s" % (level, template))
        self.tag("endfor")

    def outline(self, expr: str, level: int = 1):
        """A body tree: headings numbered from `level` in their faces, paragraphs in 仿宋."""
        self.tag(f"for p in {expr} | outline({level})")
        for n in (1, 2, 3, 4):
            self.tag(("if" if n == 1 else "elif") + f" p.level == {n}")
            self.para("{{ p.text }}", f"Heading{n}GB")
        self.tag("else")
        self.para("{{ p.text }}")
        self.tag("endif")
        self.tag("endfor")

    def attachment_note(self):
        """附件说明 (§7.3.4): one blank line under the text, two characters in; further
        attachments aligned under the first name."""
        self.tag("for line in attachment_lines")
        self.tag("if loop.first")
        self.para("{{ line }}", "AttachNote")
        self.tag("else")
        self.para("{{ line }}", "AttachMore")
        self.tag("endif")
        self.tag("endfor")

    def signature(self):
        self.para("{{p signature }}", "Signature")

    def annotation(self):
        self.tag("if note is defined")
        self.para("（{{ note }}）", "Annotation")
        self.tag("endif")

    def attendance(self):
        """纪要格式 (§10.3): one blank line under the text, then 出席, 请假 and 列席, each a
        paragraph two characters in: the label in 黑体, a full-width colon, the units and
        names in 仿宋, wrapped lines aligned after the colon."""
        lists = (("出席", "attendees"), ("请假", "absent"), ("列席", "observers"))
        self.tag("if " + " or ".join(f"{expr} is defined" for _, expr in lists))
        self.para("", "Body")
        self.tag("endif")
        for label, expr in lists:
            self.tag(f"if {expr} is defined")
            self.para(style="ListLabel", runs=[(f"{label}：", gb.FONT_HEI), ("{{ %s | join('，') }}" % expr, gb.FONT_BODY)])
            self.tag("endif")

    def table(self, headers: list[str], cells: list[str], rows_expr: str, left: tuple[int, ...] = ()):
        """A ruled table as wide as the text block: a header row repeated on each page, then
        one row per item of rows_expr; rows never split across pages; the `left` columns
        (long text) flush left, the others centred. Column widths are set when rendering,
        from the content (gb.column_widths)."""
        t = self.doc.add_table(rows=4, cols=len(headers))
        t.style = self.style("Table Grid")
        for i, (head, cell) in enumerate(zip(headers, cells)):
            self._cell(t.rows[0].cells[i], head, gb.FONT_HEI)
            self._cell(t.rows[2].cells[i], cell, gb.FONT_BODY, align="left" if i in left else None)
        self._cell(t.rows[1].cells[0], "{%tr for row in " + rows_expr + " %}", gb.FONT_BODY)
        self._cell(t.rows[3].cells[0], "{%tr endfor %}", gb.FONT_BODY)
        child(t.rows[0]._tr.get_or_add_trPr(), "w:tblHeader")
        child(t.rows[2]._tr.get_or_add_trPr(), "w:cantSplit")
        margins = child(t._tbl.tblPr, "w:tblCellMar")
        for side in ("left", "right"):
            margins.append(el(f"w:{side}", w_w=gb.TABLE_CELL_MARGIN, w_type="dxa"))
        # the borders, not the cells' text, on the text block's edges
        child(t._tbl.tblPr, "w:tblInd", w_w=gb.TABLE_CELL_MARGIN, w_type="dxa")
        fixed_widths(t, gb.column_widths(headers, []))
        return t

    def _cell(self, cell, text, font, style="TableText", align=None):
        para = cell.paragraphs[0]
        para.style = self.style(style)
        if align:
            child(para._p.get_or_add_pPr(), "w:jc", w_val=align)
        run = para.add_run(text)
        run_fonts(run._r.get_or_add_rPr(), font)

    def banji(self, printed: bool = True):
        """版记 (§7.4) at the foot of the last page: 抄送 and 印发 between full-width rules, the
        first and last thick, those between thin, the last on the text block's lower edge."""
        thick, thin = (round(w / 25.4 * 72 * 8) for w in (gb.RULE_THICK, gb.RULE_THIN))
        cc = "抄送：{{ cc_text }}。"
        tab = gb.TEXT_WIDTH - round(BANJI_PT * 20)
        printer = "{{ office.printer }}\t{{ print_date }}印发"
        tag = lambda statement: ruled_paragraph("{%p " + statement + " %}", "Banji")  # noqa: E731
        if printed:
            content = (tag("if cc_text") + ruled_paragraph(cc, "BanjiCc", top=thick, bottom=thin)
                       + ruled_paragraph(printer, "Banji", bottom=thick, right_tab=tab) + tag("else")
                       + ruled_paragraph(printer, "Banji", top=thick, bottom=thick, right_tab=tab)
                       + tag("endif"))
        else:  # 信函格式: no 印发 line and no rules (§10.1)
            content = tag("if cc_text") + ruled_paragraph(cc, "BanjiCc") + tag("endif")
        # sized and placed at render time, when the number of 抄送 lines is known
        box = bottom_box(content, gb.TEXT_WIDTH, BANJI_BOX, height=banji_size(printed, "height"),
                         top=banji_size(printed, "top"))
        self.doc.element.body.sectPr.addprevious(parse_xml(box))

    def letter_head(self):
        """信函格式 (§10.1) first page: the red office name 30 mm from the top over a thick-thin
        double rule, a thin-thick double rule 20 mm above the foot, the 发文字号 7/8 of a
        character under the first rule and flush right (份号, 密级 and 紧急程度 flush left from
        the same line down), no page number. The mark and rules are drawn at their places on
        the page, anchored to the number's paragraph, which the render makes (letter_head):
        their places depend on the mark's size, and an office suite keeps only numbers there."""
        self.doc.sections[0].different_first_page_header_footer = True  # its footer stays empty
        self.para("{{p letter_head }}", "DocNumber")
        self.tag("for line in more_markings")
        self.para("{{ line }}", "Marking")
        self.tag("endfor")

    def save(self, path: Path):
        self.doc.save(str(path))


# ---------------------------------------------------------------------- the five types
def summons(b: Builder):
    b.mark(); b.number(); b.title(); b.recipients("unit")
    b.text("根据《{{ office.regulation }}》七、安全生产约谈制度第二条{{ clause }}的规定，"
           "{{ reason | join('') }}经研究，决定对你单位进行约谈。现将有关事项通知如下：")
    b.heading("一、约谈对象")
    b.text("{{ interviewees | join('，') }}。被约谈人应当按时参加约谈，不得委托他人。")
    b.heading("二、约谈时间和地点")
    b.text("约谈时间：{{ time }}。", "约谈地点：{{ place }}。")
    b.heading("三、约谈内容")
    b.numbered("content")
    b.heading("四、需提交的书面材料")
    b.text("请被约谈人准备书面汇报材料，约谈时提交以下材料：")
    b.numbered("materials")
    b.heading("五、联系方式")
    b.text("联系人：{{ contact | default(office.contact) }}，联系电话：{{ phone | default(office.phone) }}。")
    b.attachment_note(); b.signature(); b.annotation(); b.banji()


def memorandum(b: Builder):
    b.mark(); b.number(); b.title()
    b.text("{{ time }}，{{ office.name }}在{{ place }}约谈了{{ unit }}{{ interviewees | join('、') }}。"
           "约谈由{{ host }}主持。现将约谈情况纪要如下：")
    b.heading("一、约谈事由")
    b.paragraphs("reason")
    b.heading("二、被约谈单位汇报情况")
    b.paragraphs("reported")
    b.heading("三、质询与答复")
    b.tag("for q in questions")
    b.text("问：{{ q.question }}", "答：{{ q.answer }}")
    b.tag("endfor")
    b.heading("四、整改要求")
    b.numbered("requirements")
    b.heading("五、被约谈单位承诺")
    b.paragraphs("commitments")
    b.heading("六、落实情况报告")
    # the period and date come from the office's rules (rules.yaml), as `docgen due` tracks them
    b.text("{{ unit }}应当根据约谈提出的要求，在规定时间内落实整改措施，并于约谈后{{ rule_deadline.period }}内"
           "（{{ rule_deadline.due }}前）将约谈要求落实情况书面报告{{ office.name }}。")
    b.attachment_note(); b.attendance()
    # set off from the list above, a blank line to sign on under each (the signature's own
    # blank line under the second)
    b.text("", "约谈小组成员（签名）：", "", "被约谈人（签名）：", style="Recipients")
    b.signature(); b.annotation(); b.banji()


def feedback(b: Builder):
    b.letter_head()
    b.title(); b.recipients()
    b.text("根据《{{ office.regulation }}》四、安全生产综合监管督查制度的规定，{{ team }}于"
           "{{ start }}至{{ end }}对你单位{{ subject }}进行了督查。现将督查意见反馈如下：")
    b.heading("一、督查基本情况")
    b.paragraphs("overall")
    b.heading("二、发现的主要问题")
    b.numbered("problems")
    b.heading("三、整改要求")
    b.numbered("requirements")
    b.text("请你单位按照督查反馈意见限期整改，于{{ deadline }}前整改到位，并将整改结果书面报送{{ report_to }}。"
           "督查中发现的事故隐患，应当立即纠正或者限期整改。")
    b.heading("四、联系方式")
    b.text("联系人：{{ contact | default(office.contact) }}，联系电话：{{ phone | default(office.phone) }}。")
    b.attachment_note(); b.signature(); b.annotation(); b.banji(printed=False)


def patrol_report(b: Builder):
    b.mark(); b.number_with_signer(); b.title(); b.recipients()
    b.text("根据《{{ office.regulation }}》十、安全生产巡查评估工作制度和县安委办工作安排，{{ team }}于"
           "{{ start }}至{{ end }}对{{ target }}开展了安全生产巡查评估。现将有关情况报告如下：")
    b.heading("一、巡查评估基本情况")
    b.text("巡查评估组由{{ leader }}任组长，采取{{ methods | join('、') }}等方式，重点了解{{ target }}"
           "落实“党政同责、一岗双责、失职追责”、属地管理责任和部门监管责任等情况。")
    b.heading("二、主要成效")
    b.outline("findings", 2)
    b.heading("三、存在的问题")
    b.numbered("problems")
    b.heading("四、原因分析")
    b.paragraphs("causes")
    b.heading("五、意见建议")
    b.numbered("recommendations")
    b.heading("六、移交的事故隐患")
    b.tag("if hazards is defined")
    b.text("巡查评估中发现以下事故隐患，按照安全生产巡查评估工作制度第三条、第九条的规定，建议移交有关部门或镇政府依法处理，"
           "其中重大事故隐患由县安委办挂牌督办：")
    b.numbered("hazards", template="{{ x.unit }}：{{ x.hazard }}（建议移交{{ x.handed_to }}）。")
    b.tag("else")
    b.text("巡查评估中未发现需要移交的事故隐患。")
    b.tag("endif")
    b.text("特此报告。")
    b.attachment_note(); b.signature(); b.annotation(); b.banji()


def bulletin(b: Builder):
    b.mark(); b.number(); b.title(); b.recipients()
    b.outline("body", 1)
    b.attachment_note(); b.signature(); b.annotation()
    b.tag("if hazards is defined")
    b.para("附件", "AttachLabel")
    b.para("{{ (attachments[0] if attachments is defined else '事故隐患清单') | title_lines }}", "AttachTitle")
    b.table(["序号", "单位", "所在镇（园区）", "问题隐患", "整改要求", "整改时限", "整改情况"],
            ["{{ loop.index }}", "{{ row.unit }}", "{{ row.town | default('') }}", "{{ row.hazard }}",
             "{{ row.requirement }}", "{{ row.deadline | default('') }}", "{{ row.status | default('未整改') }}"],
            "hazards", left=(1, 3, 4))
    b.tag("endif")
    b.banji()


def notice(b: Builder):
    """A general 通知 in 文件格式: the frame every other file-form type fills in."""
    b.mark(); b.number(); b.title(); b.recipients()
    b.outline("body", 1)
    b.attachment_note(); b.signature(); b.annotation(); b.banji()


TYPES = {"notice": notice, "summons": summons, "memorandum": memorandum, "feedback": feedback,
         "patrol_report": patrol_report, "bulletin": bulletin}


def hazard_notice(b: Builder):
    """重大事故隐患挂牌督办通知书 (十项制度 六): told to the unit, its town and its department at
    once (第三条), so by default all three are 主送; the deadline holds until 验收 and 销号."""
    b.mark(); b.number(); b.title(); b.recipients("recipients if recipients is defined else unit ~ '，' ~ town ~ '，' ~ department")
    b.text("{{ found }}，{{ source }}发现{{ unit }}{{ hazard }}，属于重大事故隐患。根据《{{ office.regulation }}》"
           "六、重大事故隐患挂牌跟踪督办制度的规定，县安委办决定对该隐患实行挂牌督办。现将有关事项通知如下：")
    b.heading("一、隐患基本情况")
    b.text("隐患责任单位：{{ unit }}。")
    b.tag("if location is defined")
    b.text("隐患部位：{{ location }}。")
    b.tag("endif")
    b.text("所在地镇政府（园区管委会）：{{ town }}。", "行业主管部门：{{ department }}。")
    b.paragraphs("description")
    b.heading("二、整改要求")
    b.numbered("requirements")
    b.tag("if interim is defined")
    b.text("整改完成前，{{ unit }}必须落实以下安全防范措施，确保安全：")
    b.numbered("interim")
    b.tag("endif")
    b.heading("三、整改期限和责任")
    b.text("{{ unit }}是隐患整改的责任主体，应当落实整改责任、措施、资金、时限和预案，于{{ deadline }}前整改到位。"
           "按照“属地管理”原则和“管行业必须管安全”的要求，{{ town }}履行属地管理责任，{{ department }}履行行业监管责任，"
           "跟踪督促整改，整改进展情况及时报县安委办。")
    b.heading("四、验收和销号")
    b.text("隐患整改到位后，由{{ acceptor }}负责组织验收。验收合格后，将验收结论、相关资料（包括文字、影像等资料）"
           "报县安委办（县应急管理局）予以销号。未经验收销号的，挂牌督办不予解除。")
    b.heading("五、责任追究")
    b.text("对重大事故隐患整治不力、逾期未达到整改要求的，给予通报批评，并依照《{{ office.regulation }}》"
           "七、安全生产约谈制度第二条（五）的规定约谈有关负责人；酿成生产安全事故的，依法对相关单位及责任人进行责任追究。")
    b.heading("六、联系方式")
    b.text("联系人：{{ contact | default(office.contact) }}，联系电话：{{ phone | default(office.phone) }}。")
    b.attachment_note(); b.signature(); b.annotation(); b.banji()


def joint_meeting(b: Builder):
    """联席会议纪要 (十项制度 一): 纪要格式 with 出席/列席 (§10.3); the 议定事项 are supervised by
    县安委办 (第五条), each with its lead unit and time limit."""
    b.mark(); b.number(); b.title()
    b.text("{{ time }}，{{ convener }}在{{ place }}召集召开{{ session }}。会议{{ purpose }}。"
           "现将会议议定事项纪要如下：")
    b.heading("一、会议议题")
    b.numbered("topics")
    b.heading("二、会议情况")
    b.paragraphs("proceedings")
    b.heading("三、议定事项")
    # Expressions only: a control tag inside a paragraph cuts the XML between its two ends,
    # which a suite may have split across tracked insertions.
    b.numbered("decisions", template="{{ x.matter }}（牵头单位：{{ x.lead }}"
               "{{ '；配合单位：' ~ x.partners | join('、') if x.partners is defined else '' }}"
               "{{ '；完成时限：' ~ x.deadline ~ '前' if x.deadline is defined else '' }}）。")
    b.text("以上议定事项由县安委办（县应急管理局）负责督办。各牵头单位要会同配合单位抓好落实，"
           "于完成时限前将落实情况书面报县安委办；因特殊情况不能按期完成的，应提前书面说明原因。")
    b.attachment_note(); b.attendance(); b.signature(); b.annotation(); b.banji()


TYPES["hazard_notice"] = hazard_notice
TYPES["joint_meeting"] = joint_meeting


def build(type_id: str, path: Path) -> None:
    builder = Builder()
    TYPES[type_id](builder)
    builder.save(path)


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "templates")
    for type_id in TYPES:
        build(type_id, out / f"{type_id}.docx")
        print(out / f"{type_id}.docx")


if __name__ == "__main__":
    main(sys.argv[1:])
