"""Which face each font name of the templates is printed in, when docgen makes a PDF.

Templates name the fonts Chinese offices have (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, 宋体,
Times New Roman). Offices that own licensed 方正 or 中易 fonts put the files in the workspace's
fonts/ folder, and those are used; every other name is printed in a free face from Debian
(packaging/install-system-deps.sh installs them, packaging/fonts/README.md says why these).

Each LibreOffice conversion runs with a fontconfig configuration of its own (FONTCONFIG_FILE,
written by `configuration`): the system's configuration, the workspace's fonts/ folder, and
the name rules. The rules work in two steps around the system configuration: every spelling
of a name first becomes a private token, which no system rule knows, and only after the
system configuration has been read does the token become the face (the office's font, or the
stand-in). So no system-wide alias file can change the result, not even an old copy of
docgen's own (packaging/fonts/65-docgen-gbt9704.conf, once installed into /etc/fonts/conf.d).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from docgen import gbt9704 as gb
from docgen.errors import DocgenError

SYSTEM_CONFIG = Path("/etc/fonts/fonts.conf")
FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}


@dataclass(frozen=True)
class Name:
    """A font name as templates write it, the other spellings of the same face, and the free
    face that stands in for it (with the weight that face needs for a regular request)."""
    name: str
    spellings: tuple[str, ...]
    stand_in: str
    role: str
    weight: str | None = None

    @property
    def all(self) -> tuple[str, ...]:
        return (self.name, *self.spellings)


NAMES = (
    # a heavy Song face: Noto Serif CJK's bold weight
    Name(gb.FONT_TITLE, ("方正小标宋_GBK", "方正小标宋", "小标宋", "FZXiaoBiaoSong-B05S"),
         "Noto Serif CJK SC", "标题、发文机关标志", weight="bold"),
    Name(gb.FONT_BODY, ("仿宋", "FangSong", "FangSong_GB2312", "方正仿宋_GBK", "方正仿宋简体"),
         "FandolFang", "正文"),
    # FandolHei rather than Noto Sans CJK: the Fandol faces share one vertical box (as 中易 仿宋 and
    # 黑体 do), and LibreOffice's line grid centres each line's box, so a 黑体 heading in Noto
    # Sans CJK's taller box sat 0.25 mm above the grid of the 仿宋 lines.
    Name(gb.FONT_HEI, ("SimHei", "方正黑体_GBK", "方正黑体简体"), "FandolHei", "一级标题、附件标识"),
    Name(gb.FONT_KAI, ("楷体", "KaiTi", "KaiTi_GB2312", "方正楷体_GBK", "方正楷体简体"),
         "FandolKai", "二级标题、签发人"),
    Name(gb.FONT_SONG, ("SimSun", "新宋体", "NSimSun"), "Noto Serif CJK SC", "页码"),
    Name(gb.FONT_LATIN, (), "Liberation Serif", "数字、西文"),
)


def _fc(tool: str) -> str:
    exe = shutil.which(tool)
    if not exe:
        raise DocgenError(f"未找到 {tool}（fontconfig），无法确定字体。请安装 Debian 软件包 fontconfig，"
                          "或在项目目录运行 make sysdeps。")
    return exe


def office_fonts(folder: Path | None) -> dict[str, list[tuple[str, Path]]]:
    """The faces in an office's fonts/ folder: family name (lower case) → [(family, file)]."""
    if folder is None or not folder.is_dir():
        return {}
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
    if not files:
        return {}
    out = subprocess.run([_fc("fc-scan"), "--format", "%{family}\t%{file}\n", *map(str, files)],
                         capture_output=True, text=True).stdout
    found: dict[str, list[tuple[str, Path]]] = {}
    for line in out.splitlines():
        families, _, file = line.partition("\t")
        for family in filter(None, families.split(",")):
            found.setdefault(family.strip().lower(), []).append((family.strip(), Path(file)))
    return found


def targets(folder: Path | None) -> dict[str, str]:
    """For each name of NAMES, the family it is printed in: the office's own font when fonts/
    has one under any spelling of the name (the name itself first), else the stand-in."""
    own = office_fonts(folder)
    chosen = {}
    for entry in NAMES:
        found = next((own[s.lower()][0][0] for s in entry.all if s.lower() in own), None)
        chosen[entry.name] = found or entry.stand_in
    return chosen


def _token(name: str) -> str:
    return f"docgen-font-{name}"


def configuration(folder: Path | None, system: Path = SYSTEM_CONFIG) -> str:
    """A fontconfig configuration: the system's, plus the office's fonts/ folder, plus the
    name rules (see the module's docstring)."""
    chosen = targets(folder)

    def match(tests: str, edits: str) -> str:
        return f'  <match target="pattern">{tests}{edits}</match>\n'

    def family_is(value: str) -> str:
        return f'<test name="family" qual="any"><string>{escape(value)}</string></test>'

    def assign_family(value: str) -> str:
        return f'<edit name="family" mode="assign" binding="strong"><string>{escape(value)}</string></edit>'

    first = "".join(match(family_is(spelling), assign_family(_token(entry.name)))
                    for entry in NAMES for spelling in entry.all)
    then = ""
    for entry in NAMES:
        target = chosen[entry.name]
        if entry.weight and target == entry.stand_in:  # a regular request only: bold stays bold
            then += match(family_is(_token(entry.name))
                          + '<test name="weight" qual="all" compare="less_eq"><const>medium</const></test>',
                          f'<edit name="weight" mode="assign" binding="strong"><const>{entry.weight}</const></edit>')
        then += match(family_is(_token(entry.name)), assign_family(target))
    own_dir = f"  <dir>{escape(str(folder.resolve()))}</dir>\n" if folder is not None and folder.is_dir() else ""
    return ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
            "<!-- written by docgen for one PDF conversion (docgen/fonts.py) -->\n<fontconfig>\n"
            f"{own_dir}{first}"
            f'  <include ignore_missing="yes">{escape(str(system))}</include>\n'
            f"{then}</fontconfig>\n")


def write_configuration(path: Path, folder: Path | None, system: Path = SYSTEM_CONFIG) -> Path:
    path.write_text(configuration(folder, system), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- what the templates use

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FONT_ATTRS = tuple(f"{W}{a}" for a in ("ascii", "hAnsi", "eastAsia", "cs"))
_CONTENT = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")


def _named_fonts(node) -> list[str]:
    return [f.get(a) for f in node.iter(f"{W}rFonts") for a in _FONT_ATTRS if f.get(a)]


def template_font_names(templates: list[Path]) -> list[str]:
    """Every font name the templates print text in: set on the text itself or in a style the
    text uses (with the styles it is based on, and the default ones); the GB/T 9704 names
    first, in NAMES' order. Fonts of styles nothing uses (Word's built-in ones) are left out."""
    from lxml import etree

    seen: dict[str, None] = {}
    for template in templates:
        try:
            with zipfile.ZipFile(template) as zf:
                parts = {n: etree.fromstring(zf.read(n)) for n in zf.namelist()
                         if _CONTENT.match(n) or n == "word/styles.xml"}
        except (zipfile.BadZipFile, OSError, etree.XMLSyntaxError) as exc:
            raise DocgenError(f"无法读取模板 {template}：{exc}") from None
        styles = parts.pop("word/styles.xml", None)
        by_id = {} if styles is None else {st.get(f"{W}styleId"): st for st in styles.iter(f"{W}style")}
        todo = {st_id for st_id, st in by_id.items() if st.get(f"{W}default") in ("1", "true")}
        for root in parts.values():
            seen.update(dict.fromkeys(_named_fonts(root)))
            todo |= {ref.get(f"{W}val") for tag in ("pStyle", "rStyle", "tblStyle")
                     for ref in root.iter(f"{W}{tag}")}
        done = set()
        while todo - done:
            style_id = (todo - done).pop()
            done.add(style_id)
            style = by_id.get(style_id)
            if style is not None:
                seen.update(dict.fromkeys(_named_fonts(style)))
                todo |= {b.get(f"{W}val") for b in style.iter(f"{W}basedOn")}
        defaults = None if styles is None else styles.find(f"{W}docDefaults")
        if defaults is not None:
            seen.update(dict.fromkeys(_named_fonts(defaults)))
    order = {entry.name: i for i, entry in enumerate(NAMES)}
    names = list(seen)
    return sorted(names, key=lambda n: (order.get(n, len(order)), names.index(n)))


@dataclass
class Resolution:
    name: str        # as the template writes it
    family: str      # the face it is printed in
    style: str
    file: Path
    substitute: bool  # the face is not the named font (nor another spelling of it)
    own: bool         # the face comes from the workspace's fonts/ folder
    role: str

    def as_dict(self) -> dict:
        return {"name": self.name, "family": self.family, "style": self.style, "file": str(self.file),
                "substitute": self.substitute, "own": self.own, "role": self.role}


def resolve(names: list[str], folder: Path | None, system: Path = SYSTEM_CONFIG) -> list[Resolution]:
    """The face each name resolves to under the configuration PDF conversion uses."""
    entries = {spelling.lower(): entry for entry in NAMES for spelling in entry.all}
    own_dir = folder.resolve() if folder is not None and folder.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="docgen-fonts-") as tmp:
        env = {**os.environ, "FONTCONFIG_FILE": str(write_configuration(Path(tmp) / "fonts.conf", folder, system))}
        results = []
        for name in names:
            out = subprocess.run([_fc("fc-match"), "--format", "%{family}\t%{style}\t%{file}",
                                  f"{name}:lang=zh-cn"], capture_output=True, text=True, env=env).stdout
            families, style, file = (out.split("\t") + ["", ""])[:3]
            families = [f.strip() for f in families.split(",") if f.strip()]
            entry = entries.get(name.lower())
            wanted = {s.lower() for s in (entry.all if entry else (name,))}
            path = Path(file)
            results.append(Resolution(name, families[0] if families else "", style.split(",")[0], path,
                                      substitute=not wanted & {f.lower() for f in families},
                                      own=own_dir is not None and own_dir in path.resolve().parents,
                                      role=entry.role if entry else ""))
    return results
