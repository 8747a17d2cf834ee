"""Context rules for Chinese 病程记录 and 护理记录 as they are written (issue 16, item 3).

What the rules of chinese.py miss in real-style notes: year–month and unpadded dates (2011.10, 2015-3,
2017-4-7, 3-28 after 拟于), a year that starts an exposure (2020年起), names written with a space
(兰 艳, 欧阳 晨), names that are words (国庆, 夏天, 秋菊) where the note uses them as one (姓名：, 患者X，男),
a surname alone before 先生/女士/阿姨, organisations without a hospital suffix after 原/在/至/于
(北京第二机床厂, 燕山石化, 学院路社区卫生服务中心), hospitals by their short name before 住院/行/就诊
(北京天坛, 协和), and districts with a place after 在/现居 (丰台区方庄). ``clean_chinese`` then removes
what real notes showed to be no identifier: labels (记录时间, 病区, 谈话), wards (心内二病区), and trims
a title or a verb caught at a span's edge (王先 → 王; 今日上午在丰台区 → 丰台区). A clock time after a
date ("2024-3-5 10:20 查房", "记录时间：2024-3-6 08:00", "3月5日10时20分") is cut from the date's span: the
annotation guideline (tests/deid_text/data/GUIDELINE.md) says a time of day is no date element, as Safe
Harbor does; the generated sets zh_dev/zh_test, labelled with the time inside the date before the guideline
was written, now follow it too (evalset._fill leaves the time out of the DATE span).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yizhi.deid.text.recognizers.chinese import _common_words, surnames
from yizhi.deid.text.recognizers.scanner import Anchor, Scanner, matches_at
from yizhi.deid.text.spans import Span, make_span

_HAN = "\u4e00-\u9fff"
_YEAR_MONTH = re.compile(r"(?<![\d.\-/])(?:19|20)\d{2}[.\-/](?:1[0-2]|0?[1-9])(?![\d.\-/:])")
_FULL_DATE = re.compile(r"(?<![\d.\-/])(?:19|20)\d{2}([.\-/])(?:1[0-2]|0?[1-9])\1(?:3[01]|[12]\d|0?[1-9])(?![\d.\-/])")
_MONTH_DAY = re.compile(r"(?:(?<=[于至自从])|(?<=截至)|(?<=拟于)|(?:^|(?<=\n)))[ \t]*((?:1[0-2]|0?[1-9])[.\-](?:3[01]|[12]\d|0?[1-9]))"
                        r"(?![\d.\-/])(?=[ \t]*(?:\d{1,2}:\d{2}|行|起|入院|出院|手术|复查|[ \t\n，,。]))", re.MULTILINE)
_YEAR_START = re.compile(r"(?<![\d])(?:19|20)\d{2}年(?=起|开始|至今|以来|在|于|因|行|曾|发现|诊断)")
_SPACED_NAME = re.compile(rf"(?:(?<=[：:，,、\s])|(?<=患者|儿子|女儿|侄子|丈夫|妻子|爱人|家属|之女|之子|外甥|孙子|孙女|侄女|母亲|父亲))"
                          rf"([{_HAN}]{{1,2}}) ([{_HAN}]{{1,2}})(?=[\s，,。（(；;、]|$)")
_LABELLED_NAME = re.compile(rf"(?:姓名|患者姓名|联系人|陪护人|谈话对象)[：:][ \t]*(?:患者之[女子])?([{_HAN}]{{2,3}})(?=[\s，,。（(；;]|$)")
_PATIENT_NAME = re.compile(rf"患者([{_HAN}]{{2,3}})(?=[，,][ \t]*(?:[男女]|\d|今日)|今日|既往|诉|自诉)")
_TITLE_AFTER = re.compile(r"(?=先生|女士|阿姨|师傅|大爷|奶奶|老师)")
# A relative named by a given name alone before what relatives do in a note ("患者丈夫建华前来探视", "其女儿春燕签字")
_RELATIVE_GIVEN = re.compile(rf"(?<=丈夫|妻子|爱人|儿子|女儿|之女|之子|母亲|父亲|哥哥|姐姐|弟弟|妹妹|孙子|孙女)([{_HAN}]{{2}})"
                             r"(?=前来|来院|探视|陪护|陪同|签字|签署|表示|代诉|诉|要求|同意|拒绝)")
_ORG_AFTER_CUE = re.compile(rf"(?:(?<=原)|(?<=[在至于])|(?<=工作单位[：:])|(?<=单位[：:]))([{_HAN}\d]{{2,10}}?"
                            r"(?:厂|公司|集团|石化|社区卫生服务中心|卫生服务中心|康复中心|研究所|研究院|大学|学院))"
                            r"(?=[，,。\s工职从继住行就]|$)")
_HOSPITAL_SHORT = re.compile(rf"(?<=[在于])([{_HAN}\d]{{2,4}}?)(?=住院|行[{_HAN}]|就诊|治疗|复查|手术|检查)")
_NOT_A_PLACE_OR_ORG = frozenset(
    "今日 明日 昨日 当日 当地 我院 本院 外院 门诊 急诊 病房 床旁 局麻 全麻 家中 院外 术中 术后 入院 上午 下午 夜间 晨起".split())
_DISTRICT_PLACE = re.compile(rf"(?:现居|居住于|住在|家住|在|于)([{_HAN}]{{1,4}}[区县][{_HAN}]{{2,4}}?)(?=家中|附近|居住|。|，|,|$|\n)")


_TITLES = ("先生", "女士", "阿姨", "师傅", "大爷", "奶奶", "老师")
_ORG_ENDS = ("厂", "公司", "集团", "石化", "社区卫生服务中心", "卫生服务中心", "康复中心", "研究所", "研究院", "大学", "学院")
# Where each rule can match (scanner.py: one compiled pass); the rule's expression is tried there only.
_ANCHORS = Scanner([
    Anchor("year_digits", r"(?:19|20)\d\d"),
    Anchor("month_day", r"\d{1,2}[.\-]\d"),
    Anchor("spaced_name", rf"[{_HAN}]{{1,2}} [{_HAN}]"),
    Anchor("labelled_name", r"(?:姓名|患者姓名|联系人|陪护人|谈话对象)[：:]"),
    Anchor("relative", r"丈夫|妻子|爱人|儿子|女儿|之女|之子|母亲|父亲|哥哥|姐姐|弟弟|妹妹|孙子|孙女"),
    Anchor("patient_name", r"患者"),
    Anchor("title", "|".join(_TITLES)),
    Anchor("org_end", "|".join(_ORG_ENDS)),
    Anchor("place_cue", r"现居|居住于|住在|家住|在|于"),
])
_MONTH_DAY_VALUE = re.compile(r"((?:1[0-2]|0?[1-9])[.\-](?:3[01]|[12]\d|0?[1-9]))(?![\d.\-/])"
                              r"(?=[ \t]*(?:\d{1,2}:\d{2}|行|起|入院|出院|手术|复查|来我院|来院|返院|回院|复诊|随访|门诊|[ \t\n，,。]|$))")
_MONTH_DAY_CUE = re.compile(r"(?:[于至自从]|截至|拟于|^|\n)[ \t]*$")
# "2-16来我院门诊复查": a visit word after a month-day dates it, whatever stands before
_RETURN_AFTER = re.compile(r"(?:来我院|来院|返院|回院|复诊|复查|随访|门诊)")


class ChineseContextRecognizer:
    name = "zh_context"
    languages = frozenset({"zh"})

    def find(self, text: str) -> Iterator[Span]:
        hits = _ANCHORS.scan(text)
        if not hits:
            return
        for start, end, kind in self._found(text, hits):
            span = make_span(text, start, end, kind, 0.8, self.name)
            if span is not None:
                yield span

    @staticmethod
    def _found(text: str, hits: dict):
        # (each rule tried only when its anchor occurs: most notes hold a few of the nine kinds)
        years = [start for start, _ in hits.get("year_digits", ())]
        if years:
            for pattern in (_YEAR_MONTH, _FULL_DATE, _YEAR_START):
                for match in matches_at(pattern, text, years):
                    yield match.start(), match.end(), "DATE"
        for start, _ in hits.get("month_day", ()):
            for position in (start, start + 1):  # (the anchor may begin one digit early)
                # (a digit before: no date here, so not even tried; at start + 1 there always is one)
                if text[position - 1 : position].isdigit():
                    continue
                match = _MONTH_DAY_VALUE.match(text, position)
                if match and (
                        _MONTH_DAY_CUE.search(text, max(0, position - 6), position) or _RETURN_AFTER.match(text, match.end(1))):
                    yield match.start(1), match.end(1), "DATE"
                    break
        family = surnames()
        if "spaced_name" in hits:
            starts = [start + shift for start, _ in hits["spaced_name"] for shift in (0, 1)]
            for match in matches_at(_SPACED_NAME, text, starts):
                if match.group(1) in family:
                    yield match.start(1), match.end(2), "NAME"
        for pattern, anchor in ((_LABELLED_NAME, "labelled_name"), (_PATIENT_NAME, "patient_name")):
            if anchor in hits:
                for match in matches_at(pattern, text, [start for start, _ in hits[anchor]]):
                    if match.group(1) not in _NOT_A_NAME:
                        yield match.start(1), match.end(1), "NAME"
        if "relative" in hits:
            for match in matches_at(_RELATIVE_GIVEN, text, [end for _, end in hits["relative"]]):
                if match.group(1) not in _NOT_A_NAME:
                    yield match.start(1), match.end(1), "NAME"
        for position, _ in hits.get("title", ()):
            for length in (2, 1):
                candidate = text[max(0, position - length) : position]
                if len(candidate) == length and candidate in family:
                    yield position - length, position, "NAME"
                    break
        seen = set()
        for _, end in hits.get("org_end", ()):
            for match in _ORG_AFTER_CUE.finditer(text, max(0, end - 16), min(len(text), end + 1)):
                if match.end(1) == end and match.span(1) not in seen:
                    seen.add(match.span(1))
                    yield match.start(1), match.end(1), "ORGANIZATION"
        cues = hits.get("place_cue")
        if cues:
            for match in matches_at(_HOSPITAL_SHORT, text, [end for _, end in cues]):
                value = match.group(1)
                if value not in _NOT_A_PLACE_OR_ORG and not value.isdigit() and not any(w in value for w in _NOT_A_PLACE_OR_ORG):
                    yield match.start(1), match.end(1), "ORGANIZATION"
            for match in matches_at(_DISTRICT_PLACE, text, [start for start, _ in cues]):
                yield match.start(1), match.end(1), "LOCATION"


_NOT_A_NAME = frozenset("神志 精神 病情 一般 生命 体温 目前 仍有 术后 家属 本人 意识 由平 今日 既往 诉 自诉".split())
# Labels and hospital-internal words that are never identifiers, whatever a tagger thought.
_NEVER = frozenset("时间 记录时间 病区 谈话 社区 康复 护士长 平车 平车送 床号".split())
_ANATOMY = re.compile(r"[左右双]侧|节区|叶|脑|肺|肝|肾|心|胸|腹")
_TITLE_STARTS = ("先生", "女士", "阿姨", "师傅", "大爷", "奶奶", "老师", "主任", "医生", "医师", "护士", "院长", "教授")
_WARD = re.compile(r"(?:病区|病房|科|室|ICU|CCU)$")
_LEADING_VERBS = re.compile(rf"^[{_HAN}]*?(?:在|至|于|往|住|居)(?=[{_HAN}]{{2}})")
_TRAILING_TITLE_PART = ("先", "女", "阿", "副", "主", "师", "行")
# Words a name rule took after a title ("副主任医师查房") or inside a ward's name ("病区护士长"): common words
# (jieba's dictionary, not tagged as names) that only the context rules (姓名：国庆, 患者夏天) may call names.
_RULE_NAME_SOURCES = ("zh_name_context",)
# An organisation's short name that ran on into the verb after it ("于协和行超声检查"): the verb is cut off.
_ORG_VERB_TAIL = re.compile(r"(?<=[\u4e00-\u9fff]{2})行$")
# The tagger's organisation that ran on into 行 before the procedure it names ("于协和行超声检查"): cut when a Han
# character follows (a bank, 银行, keeps its 行).
_TAGGER_ORG_VERB_TAIL = re.compile(r"(?<=[\u4e00-\u9fff]{2})(?<!银)行$")
# A preposition that a name or place rule took as the first character ("患者由市第一人民医院急诊转入": 由市第, 由市);
# not 于 or 向, which are common surnames (于伟).
_PREPOSITIONS = "由从自在到"
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
# A clock time at the end of a date's span (GUIDELINE.md: no date element): "10:20", "08:00:00", "10时20分", "9点".
CLOCK_TAIL = re.compile(r"(?<=[\d日号])[ \t]*(?:\d{1,2}[:：]\d{2}(?:[:：]\d{2})?|\d{1,2}[时点](?:\d{1,2}分)?(?:\d{1,2}秒)?)$")


# Every clock time holds one of these (a search for CLOCK_TAIL tries every character of the date).
_CLOCK_MARKS = frozenset(":：时点")
_WARD_ENDS = ("病区", "病房", "科", "室", "ICU", "CCU")


def _is_ward(value: str) -> bool:
    """``_WARD.search(value)``, read off the end (``$`` also matches before a final newline)."""
    return value.endswith(_WARD_ENDS) or (value.endswith("\n") and value[:-1].endswith(_WARD_ENDS))


_GLUED_TITLES = ("医师", "医生", "主任", "护士长", "护士", "教授")


def _word_after_title_or_word(text: str, span: Span) -> bool:
    """A name rule's span that is a common word glued to the title before it ("副主任医师查房": the title does
    the rounds), or one character that makes a word with the character before it ("病区护士长")."""
    value, before = span.text, text[max(0, span.start - 3) : span.start]
    if len(value) == 1:
        return span.start > 0 and text[span.start - 1] + value in _common_words()
    return len(value) == 2 and before.endswith(_GLUED_TITLES) and value in _common_words()


def clean_chinese(text: str, spans: list[Span]) -> list[Span]:
    """Drop label and ward spans; trim a title's first character or a leading verb off a span.

    (Each span's type, text and recognizer are read once into locals: ~18 spans a note pass here, and
    reading a slot again for every test was a fifth of this loop's time.)"""
    cleaned = []
    for span in spans:
        value, kind = span.text, span.type
        if value in _NEVER:
            continue
        from_context = "zh_context" in span.recognizer
        if kind == "NAME":
            if _is_ward(value) and not value.endswith(_HOSPITAL_ENDS):
                continue
            if len(value) == 1 and not text.startswith(_TITLE_STARTS, span.end):
                continue  # one character alone is a name only before a title (王先生)
            if not from_context and _word_after_title_or_word(text, span):
                continue
        elif kind == "LOCATION" or kind == "ORGANIZATION":
            if _is_ward(value) and not value.endswith(_HOSPITAL_ENDS):
                continue
            if kind == "LOCATION" and not from_context and _ANATOMY.search(value):
                continue  # 左侧基底节区: anatomy, not a district
        start, end = span.start, span.end
        if kind == "DATE" and not _CLOCK_MARKS.isdisjoint(value):
            clock = CLOCK_TAIL.search(value)
            if clock is not None and clock.start() > 0:
                end = start + clock.start()
        elif kind == "ORGANIZATION":
            if from_context and _ORG_VERB_TAIL.search(value):
                end -= 1
            elif "zh_tagger" in span.recognizer and _TAGGER_ORG_VERB_TAIL.search(value) and _HAN_CHAR.match(text, end):
                end -= 1
        if value[:1] in _PREPOSITIONS and not from_context and (
                (kind == "NAME" and len(value) <= 3 and text.endswith("患者", 0, start))
                or (kind == "LOCATION" and len(value) <= 2)):
            continue
        if kind == "NAME" and len(value) >= 2 and value[-1] in _TRAILING_TITLE_PART and text[end : end + 1] in (
                "生", "士", "姨", "主", "任", "医", "超", "傅"):
            end -= 1
        if (kind == "LOCATION" or kind == "ADDRESS") and not from_context:
            verb = _LEADING_VERBS.match(value)
            if verb:
                start += verb.end()
        if start != span.start or end != span.end:
            trimmed = make_span(text, start, end, kind, span.confidence, span.recognizer)
            if trimmed is None:
                continue
            span = trimmed
        cleaned.append(span)
    return cleaned


_HOSPITAL_ENDS = ("医院", "中心")
