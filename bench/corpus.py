"""A synthetic archive shaped like a county office's: for the search benchmark and tests.

Notices of the five document types, their text built from the seed regulations with the
county's towns, departments, enterprises, people, hazards and dates mixed in. What makes
exact matching hard is there on purpose, as in real files: 文号 of several offices that
share their pieces (石安委办〔2021〕1号, 石安委办〔2021〕16号, 石安委发〔2016〕21号), cited
in other documents' text, sometimes in another bracket spelling or with full-width digits;
the same phrases in many documents; sentences broken over lines; Latin letters and digits.

    from corpus import documents          # bench/ on sys.path
    for doc in documents(1000, seeds): ...
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

TOWNS = ["城关镇", "饶峰镇", "两河镇", "迎丰镇", "池河镇", "后柳镇", "喜河镇", "熨斗镇",
         "云雾山镇", "中池镇", "曾溪镇"]
DEPTS = ["县应急管理局", "县住房和城乡建设局", "县交通运输局", "县市场监督管理局", "县教育体育局",
         "县卫生健康局", "县自然资源局", "县文化和旅游广电局", "县消防救援大队", "县公安局交警大队",
         "县经济贸易局", "县水利局", "县农业农村局", "县林业局", "工业园区管委会"]
FIRMS_A = ["金鑫", "汉江", "秦巴", "宏达", "鑫源", "恒通", "永兴", "安康", "瑞丰", "华泰", "天宇",
           "兴隆", "盛世", "祥和", "明珠", "长青", "富民", "三江", "龙腾", "顺达"]
FIRMS_B = ["矿业", "建材", "化工", "水泥", "物流", "石油", "建筑工程", "食品", "木业", "丝绸",
           "电力", "燃气", "砂石", "烟花爆竹", "商贸"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘") + ["欧阳", "司马"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌海波林峰鹏辉"
POSTS = ["镇长", "副镇长", "局长", "副局长", "总经理", "董事长", "安全总监", "站长"]
HAZARDS = ["消防通道堵塞", "液化气瓶违规存放", "电气线路私拉乱接", "有限空间作业未审批",
           "特种作业人员无证上岗", "安全出口锁闭", "危险化学品储存不规范", "尾矿库排洪设施损坏",
           "高边坡无监测措施", "脚手架搭设不规范", "应急预案未演练", "隐患排查台账缺失",
           "粉尘涉爆场所未清扫", "燃气管道未设置警示标志", "渣土车超载超限", "烟花爆竹违规储存",
           "自建房违规改变用途", "电动自行车违规充电", "劳动防护用品配备不足", "安全培训记录缺失"]
KINDS = ["表扬", "批评", "暗访", "情况"]
TYPES = {"summons": "约谈通知书", "memorandum": "约谈纪要", "feedback": "督查反馈意见",
         "patrol_report": "巡查评估报告", "bulletin": "通报"}
# Issuing offices whose 发文字号 prefixes share characters, as a county's do.
PREFIXES = ["石安委办", "石安委发", "石安办", "石政办发", "石应急发"]
# Other spellings of a cited 文号's year bracket, as found in imported or typed text.
BRACKETS = [("〔", "〕")] * 6 + [("[", "]"), ("(", ")"), ("（", "）"), ("［", "］"), ("【", "】")]
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
EXTRA = [
    "附件为PDF格式的隐患清单，请于收到后3个工作日内反馈Excel汇总表。",
    "公文格式执行GB/T 9704-2012《党政机关公文格式》。",
    "联系电话：0915-6321234，传真：0915-6321235。",
    "请登录 https://yjj.example.gov.cn 下载附件2。",
]


def seed_sentences(folder: Path) -> list[str]:
    out = []
    for f in sorted(Path(folder).glob("*.txt")):
        for s in re.split(r"(?<=[。；;])|\n", f.read_text("utf-8", errors="replace")):
            s = s.strip()
            if 12 <= len(s) <= 160 and "\ufffd" not in s and "优知文库" not in s:
                out.append(s)
    return out or ["各镇、各部门要切实履行安全生产监管职责，全面排查治理事故隐患。"]


def default_seeds() -> Path:
    """The seed regulations: the shared copy if present, else the repository's imports/."""
    shared = Path("/work/shared/seeds")
    return shared if shared.is_dir() else Path(__file__).resolve().parent.parent / "imports"


def documents(n: int, seeds: Path | None = None, seed: int = 20210316):
    """n archive documents (the archive's dict contract), deterministic for a seed."""
    rnd = random.Random(seed)
    sentences = seed_sentences(seeds or default_seeds())
    firms = [f"石泉县{a}{b}有限公司" for a in FIRMS_A for b in FIRMS_B]
    person = lambda: rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
    counters: dict = {}
    issued: list[str] = []

    def cite() -> str:
        """Another document's 文号, sometimes spelled another way."""
        if not issued:
            return "石安委办〔2018〕1号"
        number = rnd.choice(issued)
        m = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", number)
        o, c = rnd.choice(BRACKETS)
        year = m[2].translate(WIDE) if rnd.random() < 0.1 else m[2]
        return f"{m[1]}{o}{year}{c}{m[3]}号"

    for i in range(n):
        typ = rnd.choice(list(TYPES))
        date = dt.date(2018, 1, 1) + dt.timedelta(days=rnd.randrange(8 * 365))
        unit = rnd.choice([rnd.choice(TOWNS) + "人民政府", rnd.choice(DEPTS), rnd.choice(firms),
                           rnd.choice(firms)])
        units = [unit] + rnd.sample(TOWNS, rnd.choice((0, 0, 1, 2)))
        persons = [person() for _ in range(rnd.choice((1, 2, 3)))]
        hazards = rnd.sample(HAZARDS, rnd.choice((1, 2, 3)))
        body = rnd.sample(sentences, rnd.randint(8, 30))
        haz = "、".join(hazards)
        if rnd.random() < 0.3:
            body.insert(rnd.randrange(len(body) + 1), f"根据{cite()}文件要求，现就有关事项通知如下。")
        if rnd.random() < 0.15:
            body.insert(rnd.randrange(len(body) + 1), rnd.choice(EXTRA))
        if rnd.random() < 0.1:      # a sentence broken over two lines, as extracted text has them
            k = rnd.randrange(len(body))
            cut = rnd.randrange(1, max(2, len(body[k]) - 1))
            body[k:k + 1] = [body[k][:cut], body[k][cut:]]
        if typ == "summons":
            title = f"关于约谈{unit}的通知"
            head = (f"{unit}：\n根据《石泉县安全生产综合监管十项制度》约谈制度有关规定，鉴于你单位存在{haz}等问题，"
                    f"经研究，决定对你单位主要负责人{persons[0]}（{rnd.choice(POSTS)}）进行约谈。现将有关事项通知如下：\n"
                    f"一、约谈时间：{date.year}年{date.month}月{date.day}日上午9时。\n二、约谈地点：县应急管理局三楼会议室。\n")
            tail = f"请于约谈前提交书面整改报告。联系人：{person()}，电话：0915-63{rnd.randint(10000, 99999)}。"
        elif typ == "memorandum":
            title = f"{unit}安全生产约谈纪要"
            head = (f"{date.year}年{date.month}月{date.day}日，县安委办对{unit}进行了安全生产约谈。出席：{'、'.join(persons)}。"
                    f"{persons[0]}汇报了{haz}问题的整改情况。\n")
            tail = "被约谈单位须在约谈后15日内书面报告整改落实情况。"
        elif typ == "feedback":
            title = f"关于对{unit}安全生产督查情况的反馈意见"
            head = f"{date.year}年{date.month}月，县安委会督查组对{unit}安全生产工作进行了督查，发现以下问题：{haz}。\n"
            tail = f"请于{(date + dt.timedelta(days=30)).isoformat()}前完成整改，并将整改结果报县安委办。"
        elif typ == "patrol_report":
            title = f"关于对{unit}开展安全生产巡查的报告"
            head = f"按照县安委会统一部署，巡查组于{date.year}年{date.month}月对{unit}开展了安全生产巡查评估。巡查发现：{haz}。\n"
            tail = "巡查组建议：进一步压实安全生产主体责任，建立隐患排查治理长效机制。"
        else:
            kind = rnd.choice(KINDS)
            title = f"关于{date.year}年安全生产{kind}情况的通报"
            rows = "\n".join(f"{k + 1}. {u}：{rnd.choice(HAZARDS)}，整改{rnd.choice(['已完成', '未完成', '正在整改'])}"
                             for k, u in enumerate(units + rnd.sample(firms, 2)))
            head = f"各镇人民政府，县安委会各成员单位：\n现将近期安全生产{kind}情况通报如下。\n"
            tail = "附件：安全隐患清单\n" + rows
        origin = "issued" if rnd.random() < 0.8 else "imported"
        prefix = PREFIXES[0] if origin == "issued" and rnd.random() < 0.6 else rnd.choice(PREFIXES)
        k = counters[(date.year, prefix)] = counters.get((date.year, prefix), 0) + 1
        number = f"{prefix}〔{date.year}〕{k}号" if origin == "issued" or rnd.random() < 0.7 else ""
        if number:
            issued.append(number)
        retention = rnd.choice(["Y", "D30", "D10"])
        aid = f"J021-WS·{date.year}-{retention}-AWB-{i + 1:06d}"
        yield {
            "archive_id": aid, "number": number,
            "title": title, "text": head + "\n".join(body) + "\n" + tail,
            "type": typ, "type_name": TYPES[typ], "date": date, "units": units, "persons": persons,
            "case_id": f"{date.year}-{typ[:2]}-{k:03d}" if origin == "issued" else "", "retention": retention,
            "origin": origin, "path": f"archive/{aid}/document.pdf",
        }
