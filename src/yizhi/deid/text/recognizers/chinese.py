"""Chinese names, places, addresses and organisations: tagger + dictionaries + context rules.

No maintained package recognizes Chinese PHI, so the rules are ours; the data under them is not:
surnames and place names come from Faker's zh_CN providers, dictionary matching is pyahocorasick,
and the statistical part is Baidu LAC (see ``tagger``). Each rule widens recall where the tagger
alone misses (a surname alone before 女士, a name that is also a word after 患者/家属).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache

import ahocorasick

from yizhi.deid.text.recognizers.chinese_address import ChineseAddressRecognizer
from yizhi.deid.text.recognizers.chinese_memo import _rule_spans
from yizhi.deid.text.recognizers.tagger import tagged_entities
from yizhi.deid.text.spans import Span, make_span

COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 南宫 西门 百里 呼延 "
    "澹台 公冶 太史 申屠 闻人 万俟 赫连 濮阳 羊舌 微生 梁丘 左丘 东郭 拓跋 第五 司空 闾丘 子车 亓官 仲孙 单于 乐正"
).split()

# Titles and kinship words that follow a name; they stay outside the span ("张|女士").
TITLES = (
    "女士 先生 小姐 护士长 护士 师傅 医生 医师 大夫 主任医师 副主任医师 主治医师 住院医师 主任 副主任 教授 副教授 老师 "
    "阿姨 叔叔 大爷 大妈 奶奶 爷爷 同志 院长 科长 药师 技师 同学 律师 工程师 经理 书记 主管"
).split()
# Labels and kinship words after which a name follows ("家属|刘建国", "主治医师：|司马光").
NAME_CUES = (
    "患者 病人 姓名 患儿 产妇 孕妇 家属 之子 之女 其子 其女 其妻 其夫 其母 其父 配偶 父亲 母亲 儿子 女儿 丈夫 妻子 "
    "哥哥 姐姐 弟弟 妹妹 孙子 孙女 儿媳 女婿 联系人 监护人 代理人 委托人 签名 签字 记录人 记录者 记录 书写者 "
    "医师 医生 护士 主治医师 住院医师 主任医师 经治医师 上级医师 责任护士 报告医师 审核医师 检查医师 审核者 "
    "审核 录入 操作者 手术者 术者 一助 二助 麻醉师 麻醉医师 主刀 陪同 陪护 代诉 叙述者 病史陈述者 供史者 转诊医生 "
    "会诊医师 邀请 联系 由 交给 告知 复核医师 复核 诊断医师 接诊医师 记录医师 检验者 审核者 签名 侄子 侄女 外甥 兄弟 "
    "姐妹 亲属 朋友 邻居 同事 病友 护工 受检者 送检医师 申请医师 医生签名 护士签名 主管医师"
).split()
# Characters that end a given name early: function words and common verbs that follow names.
_STOP_CHARS = set(
    "因于在诉的是由和与及或为以自从到给让请了着过也都就才又还已今昨现有无未再曾将被把对向去来入出说述称表要签陪代同主"
    "医护男女岁年月日时分患探办返病神精意生术反偶突感一床行经予，。；：、！？,.;:!?（）()[]【】“”\"' \t\n0123456789"
)
# Disease eponyms and drug names that taggers take for people.
NOT_NAMES = set(
    "帕金森 阿尔茨海默 亨廷顿 霍奇金 克罗恩 库欣 艾迪生 格雷夫斯 唐氏 川崎 雷诺 贝尔 巴宾斯基 布鲁津斯基 克尼格 墨菲 "
    "麦氏 格拉斯哥 阿普加 吉兰 巴雷 马凡 特纳 威尔逊 梅尼埃 斯蒂尔 白塞 桥本 阿司匹林 布洛芬".split()
)
# Clinical words that begin with a common surname character (高血压, 霍奇金, 双肺): never a name start.
CLINICAL_PREFIXES = tuple(
    "高血压 高血糖 高血脂 高热 高龄 高危 高度 高压 低血压 低血糖 霍奇金 阿尔茨 帕金森 双肺 双下肢 双侧 左侧 右侧 左肺 右肺 "
    "全麻 全身 全血 常规 常温 金黄色 车祸 安返 安静 安稳 平卧 平素 时有 时感 明显 明确 水肿 包块 包扎 石膏 严重 "
    "麻醉 苏醒 解痉 房颤 宫颈 宫腔 胡言 单纯 应用 应激 危 急性 急诊 慢性 雷诺 桥本 川崎 克罗恩 唐氏 贝尔 库欣".split()
)
# Words that stand before a title but are part of the role, not a name (副主任|医师, 麻醉|医师).
_ROLE_WORDS = set(
    "任 主任 副主任 主治 住院 主管 责任 值班 实习 进修 规培 麻醉 主刀 门诊 急诊 上级 经治 会诊 报告 审核 检查 复核 记录 "
    "诊断 接诊 护 副 主 治 总 带教 专科 康复 营养 药 技 管床 床位 签名".split()
)
_ANATOMY_BEFORE_NAME = ("上叶", "下叶", "中叶", "肺叶", "左叶", "右叶", "舌叶")
# First characters of a given name that end it instead (the surname is also a common word: 时/同/成).
_FIRST_CHAR_OK = {"时", "同", "成", "来", "主", "代", "过", "向", "于", "经"}
ORG_SUFFIXES = (
    "医院 卫生院 社区卫生服务中心 卫生服务中心 卫生服务站 卫生室 诊所 门诊部 保健院 保健所 疾病预防控制中心 疾控中心 "
    "急救中心 血站 体检中心 大学 学院 中学 小学 幼儿园 学校 公司 集团 工厂 银行 研究所 研究院 派出所 敬老院 养老院 福利院 "
    "居委会 村委会 街道办事处 监狱 看守所"
).split()
_GENERIC_ORG_HEADS = set(
    "我 本 外 该 贵 某 上级 下级 当地 附近 其他 基层 综合 专科 各级 定点 一家 一级 二级 三级 三甲 二甲 省级 市级 县级 区级 "
    "乡镇 社区 民营 私立 公立 上述 前述 同一 多家 外地".split()
)
# (职 is no stop: "就职于" ends at 于 anyway, and 职 starts 职业技术学院.)
_ORG_LEFT_STOP = set("于在到至从往转经由去赴回的和与及或、，。；：:,.;（）()【】“”住址诊入就曾现原既系为是以及")
# A suffix inside a street's name is no organisation ("学院路", "医院街"): the street's word follows it.
_STREET_AFTER_SUFFIX = ("路", "街", "大道", "巷", "胡同", "小区")
_CJK = re.compile(r"[\u4e00-\u9fff]")  # (one character is tested as "\u4e00" <= ch <= "\u9fff": no regex call)
_ORG_SUFFIX_RE = re.compile("|".join(sorted(map(re.escape, ORG_SUFFIXES), key=len, reverse=True)))


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    from faker.providers.person.zh_CN import Provider

    return frozenset(Provider.last_names) | frozenset(COMPOUND_SURNAMES)


@lru_cache(maxsize=1)
def _cue_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    kinds: dict[str, set[str]] = {}
    for word in NAME_CUES:
        kinds.setdefault(word, set()).add("cue")
    for word in TITLES:  # 医生/护士/主治医师 are both: a name may stand before or after them
        kinds.setdefault(word, set()).add("title")
    for word, word_kinds in kinds.items():  # (length, is a cue, is a title): all a hit needs
        automaton.add_word(word, (len(word), "cue" in word_kinds, "title" in word_kinds))
    automaton.make_automaton()
    return automaton



def _name_after(text: str, pos: int) -> tuple[int, int] | None:
    """A surname + up to two given-name characters starting at ``pos`` (after optional ':' / space)."""
    size = len(text)
    while pos < size and text[pos] in " ：:\t":
        pos += 1
    family = surnames()
    if text[pos : pos + 2] not in family and text[pos : pos + 1] not in family:
        return None  # (what the loop below finds too, found before the long prefix test)
    if _starts_clinical(text, pos):
        return None
    for surname_len in (2, 1):
        surname = text[pos : pos + surname_len]
        if surname in family and _CJK.match(surname):
            end = pos + surname_len
            given = 0
            while given < 2 and end < size and text[end] not in _STOP_CHARS and "\u4e00" <= text[end] <= "\u9fff":
                end += 1
                given += 1
            # A surname alone is a name only before a title; otherwise it is more likely a word.
            if given == 0:
                return (pos, end) if _starts_title(text, end) else None
            # The name must end at a boundary (punctuation, a function word, a title): "患者安返病房"
            # runs on into a word and is no name.
            while end > pos + surname_len:
                if _name_boundary(text, end):
                    return pos, end
                end -= 1
            return None
    return None


def _name_boundary(text: str, pos: int) -> bool:
    """A name may end here: end of text, punctuation/space, a function word or a title."""
    if pos >= len(text) or text[pos] in _STOP_CHARS or _starts_title(text, pos):
        return True
    return not ("\u4e00" <= text[pos] <= "\u9fff" or text[pos].isalnum())


_TITLE_TUPLE = tuple(TITLES)


def _by_first_char(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The words grouped by their first character (order kept), and all of them under "", for
    ``_starts_with``."""
    groups: dict[str, list[str]] = {"": list(words)}
    for word in words:
        groups.setdefault(word[0], []).append(word)
    return {first: tuple(group) for first, group in groups.items()}


def _starts_with(text: str, pos: int, by_first: dict[str, tuple[str, ...]]) -> bool:
    """``text.startswith(words, pos)`` for the words ``by_first`` groups: only the few words beginning with
    the character at ``pos`` are tried. (str.startswith tries a tuple's words one by one: ~0.8 µs for the
    62 clinical prefixes, and the name rules and the gate ask it ~30 times a note.)"""
    # (a negative position counts from the end, as in str.startswith: every word is tried there)
    return text.startswith(by_first.get(text[pos : pos + 1] if pos >= 0 else "", ()), pos)


_TITLES_BY_FIRST = _by_first_char(_TITLE_TUPLE)
_CLINICAL_BY_FIRST = _by_first_char(CLINICAL_PREFIXES)


def _starts_title(text: str, pos: int) -> bool:
    return _starts_with(text, pos, _TITLES_BY_FIRST)


def _starts_clinical(text: str, pos: int) -> bool:
    return _starts_with(text, pos, _CLINICAL_BY_FIRST)


def _name_before(text: str, title_start: int) -> tuple[int, int] | None:
    """The name right before a title: surname + 0–2 given characters ("张|女士", "欧阳明华|主任")."""
    family = surnames()
    best = None
    # Every character of a candidate is Chinese: the run of Chinese characters before the title, counted
    # once, bounds its length (a fullmatch per length cost ~0.4 µs, ~10 times a note).
    run = 0
    while run < 4 and run < title_start and "\u4e00" <= text[title_start - run - 1] <= "\u9fff":
        run += 1
    for length in range(run, 0, -1):
        start = title_start - length
        candidate = text[start:title_start]
        if not _STOP_CHARS.isdisjoint(candidate[1:]) or (candidate[0] in _STOP_CHARS and candidate[0] not in _FIRST_CHAR_OK):
            continue
        if _starts_clinical(text, start) or candidate in _ROLE_WORDS or text[start - 1 : title_start] in _ROLE_WORDS:
            continue
        head2 = candidate[:2]
        if head2 in family and len(head2) == 2 and length <= 4:
            best = (start, title_start)
            break
        if candidate[0] in family and length <= 3:
            best = (start, title_start)
            break
    return best


class ChineseNameRecognizer:
    """Names by context: after a cue (患者/家属/医师：) or before a title (女士/护士/主任)."""

    name = "zh_name_context"
    languages = frozenset({"zh"})

    def find(self, text: str) -> Iterator[Span]:
        return iter(_rule_spans(self, text))

    def _find(self, text: str) -> Iterator[Span]:
        for last, (length, is_cue, is_title) in _cue_automaton().iter(text):
            if is_cue:
                found = _name_after(text, last + 1)
                if found is not None:
                    span = make_span(text, found[0], found[1], "NAME", 0.85, self.name)
                    if span is not None and span.text not in NOT_NAMES:
                        yield span
            if is_title:
                found = _name_before(text, last + 1 - length)
                if found is not None:
                    span = make_span(text, found[0], found[1], "NAME", 0.85, self.name)
                    if span is not None and span.text not in NOT_NAMES:
                        yield span


class ChineseTaggerRecognizer:
    """People, places and organisations from LAC, trimmed of titles and filtered of eponyms."""

    name = "zh_tagger"
    languages = frozenset({"zh"})

    def find(self, text: str) -> Iterator[Span]:
        for start, end, kind in tagged_entities(text):
            if kind == "NAME":
                start, end = _trim_name(text, start, end)
                word = text[start:end]
                if not word or word in NOT_NAMES or text.startswith(("病", "综合征", "氏", "征"), end):
                    continue
                if _starts_clinical(text, start) or text[max(0, start - 1) : start + 1] in _ANATOMY_BEFORE_NAME:
                    continue
                if len(word) == 1 and not _starts_title(text, end):
                    continue
            elif kind == "ORGANIZATION" and text[start:end].endswith(_TITLE_TUPLE):
                kind = "NAME"  # LAC reads 康师傅 as the brand; in a note it is Mr Kang
                start, end = _trim_name(text, start, end)
            elif kind == "ORGANIZATION" and (_generic_org(text[start:end]) or not _CJK.search(text[start:end])):
                continue
            span = make_span(text, start, end, kind, 0.8, self.name)
            if span is not None:
                yield span


_TITLES_LONGEST_FIRST = tuple(sorted(TITLES, key=len, reverse=True))


def _trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    while end - start > 2 and text[end - 1] in "于在因患和与及是的":
        end -= 1
    for cue in ("家属", "患者", "病人", "患儿"):
        index = text.find(cue, start, end)
        if index >= 0 and end - (index + len(cue)) >= 2:
            start = index + len(cue)
    word = text[start:end]
    for title in _TITLES_LONGEST_FIRST:
        if word.endswith(title) and len(word) > len(title):
            return start, end - len(title)
    for cue in ("患者", "病人", "家属", "患儿"):
        if word.startswith(cue) and len(word) > len(cue) + 1:
            return start + len(cue), end
    return start, end


def _generic_org(word: str) -> bool:
    """Departments and generic phrases (心内科, 我院, 上级医院) do not identify anyone."""
    if word.endswith(("科", "病区", "病房", "诊室", "门诊", "护理部", "ICU")):
        return True
    matches = list(_ORG_SUFFIX_RE.finditer(word))
    if not matches:
        return word in _GENERIC_ORG_HEADS or word == ""
    # The word's own suffix is its last: "学院路社区卫生服务中心" is a centre on 学院路, not a 学院 with
    # nothing before it; a generic head before an earlier suffix still makes it generic ("某大学附属医院").
    head, first_head = word[: matches[-1].start()], word[: matches[0].start()]
    return head in _GENERIC_ORG_HEADS or head == "" or first_head in _GENERIC_ORG_HEADS


class ChineseOrganizationRecognizer:
    """Organisations by their suffix (…医院, …社区卫生服务中心, …有限公司), walked left to a boundary."""

    name = "zh_org_suffix"
    languages = frozenset({"zh"})

    def find(self, text: str) -> Iterator[Span]:
        return iter(_rule_spans(self, text))

    def _find(self, text: str) -> Iterator[Span]:
        for match in _ORG_SUFFIX_RE.finditer(text):
            start = match.start()
            while start > 0 and match.end() - start < 24:
                ch = text[start - 1]
                if not ("\u4e00" <= ch <= "\u9fff" or ch.isdigit() or ch in "()（）") or ch in _ORG_LEFT_STOP:
                    break
                start -= 1
            word = text[start : match.end()]
            if _generic_org(word) or text.startswith("卡", match.end()) or text.startswith(_STREET_AFTER_SUFFIX, match.end()):
                continue
            for prefix in ("患者", "曾", "现", "原", "既往"):
                if word.startswith(prefix):
                    start += len(prefix)
                    word = word[len(prefix) :]
            if len(word) - len(match.group()) < 2:
                continue
            span = make_span(text, start, match.end(), "ORGANIZATION", 0.85, self.name)
            if span is not None:
                yield span



@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Words that start no name, for the tagger gate: 2–4 character words from jieba's dictionary
    that are not names (its tag is not nr*) and occur at least 5 times in its corpus (车辆, 计数,
    成功, 查房), plus our eponyms, drugs and clinical words (帕金森, 阿托伐他汀 is not, 高血压).
    Names that are also words (高明, 林立, 白云) carry jieba's nr tag and stay out of this set.
    (jieba's part is kept on disk, word_cache.py: importing jieba and reading its dictionary cost ~0.3 s
    of CPU in every process.)"""
    from yizhi.deid.text.recognizers.word_cache import cached_words

    return cached_words("zh_jieba_common_words", ("jieba",), _jieba_common_words) | set(NOT_NAMES) | set(CLINICAL_PREFIXES)


def _jieba_common_words() -> frozenset[str]:
    import jieba

    with jieba.get_dict_file() as handle:  # ("word freq tag" lines, read by one expression: 3x faster than split)
        text = handle.read().decode("utf-8")
    return frozenset(word for word, freq in _DICT_LINE.findall(text) if int(freq) >= 5)


_DICT_LINE = re.compile(r"^(\S{2,4}) (\d+) (?!nr)\S+\r?$", re.MULTILINE)


def _inside_word(text: str, pos: int) -> bool:
    """Does a common (non-name) word of 2–5 characters cover ``pos`` together with a neighbour?"""
    words = _common_words()
    size = len(text)
    for length in (2, 3, 4, 5):  # shortest first: most answers are yes, and most words are two long
        start = pos - length + 1 if pos >= length - 1 else 0
        last = pos if pos <= size - length else size - length
        while start <= last:
            if text[start : start + length] in words:
                return True
            start += 1
    return False


_GATE_RULES = None
# How far left of its suffix an organisation's name may start, for the tagger's window (长春职业技术|学院).
_ORG_NAME_REACH = 10
_ORG_STOPS_IN_NAMES = set("和与及或为是以系原现曾既")
_NUMERALS = set("0123456789一二三四五六七八九十两半数几")


def sentence_gate(text: str, pieces: list[tuple[int, int]]) -> list[bool]:
    """Which sentences the LAC tagger must read: the rest cannot give it anything the rules lack.

    The neural tagger costs ~15 µs per character (two GRU layers, then a CRF decode), 10× the
    rest of the pipeline; most sentences of a note hold no identifier the rules have not already
    found. A sentence is tagged (only around its cues, see ``sentence_cues``) if it holds
      - a surname (single or compound, Faker's list) followed by a title (曾|护士) that the context
        rule did not already take, or
      - a surname followed by a possible given-name character, neither inside a span the context,
        organisation and address rules found, not a clinical word (高血压, 上叶), not a duration
        (2周后), not inside a common non-name word (jieba's dictionary: 车辆, 查房; 帕金森) and not
        plainly part of a role word, drug, title or longer word (``_word_not_name``), or
      - an organisation suffix (学院, 医院, 公司) the organisation rule did not cover.
    Otherwise the sentence is skipped. Tuned on the dev notes only; the held-out cost in recall
    is reported in docs/readme/deid_text.md. ``tagger.tag_every_sentence()`` turns the gate off.
    """
    covered, family = _covered_by_rules(text), surnames()
    return [next(_tagging_cues(text, start, end, covered, family), None) is not None for start, end in pieces]


def sentence_cues(text: str, pieces: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """For each sentence, where the identifiers that make it worth tagging (see ``sentence_gate``)
    may lie, as (start, end): a surname and two given-name characters, or an organisation suffix
    and the name before it. The tagger reads only around these. No cue: the sentence is skipped.

    The name candidates of the whole text are found in one regex pass (``_name_starts``), then
    shared out to the sentences: the same cues as ``_tagging_cues`` sentence by sentence (a test
    checks), without a Python pass over every surname character of every sentence."""
    covered, family = _covered_by_rules(text), surnames()
    starts = [match.start() for match in _name_starts().finditer(text) if not covered[match.start()]]
    # An organisation suffix a sentence's own scan finds starts a match of the whole text's scan or
    # lies inside one (the suffixes are plain words), so only sentences these touch are scanned.
    suffixes = [match.span() for match in _ORG_SUFFIX_RE.finditer(text)]
    suffix_ends = [last for _first, last in suffixes]
    cues: list[list[tuple[int, int]]] = []
    for start, end in pieces:
        found: list[tuple[int, int]] = []
        if suffixes:
            touching = bisect_right(suffix_ends, start)  # the first suffix match ending after ``start``
            if touching < len(suffixes) and suffixes[touching][0] < end:
                found += _organisation_cues(text, start, end, covered)
        if starts:
            for pos in starts[bisect_left(starts, start) : bisect_left(starts, end)]:
                surname_len = 2 if text[pos : pos + 2] in family else 1
                if _may_start_name(text, pos, surname_len, end, covered):
                    found.append((pos, min(end, pos + surname_len + 2)))
        cues.append(found)
    return cues


@lru_cache(maxsize=1)
def _name_starts() -> re.Pattern[str]:
    """Where a name the gate may keep can start: a two-character surname, or a one-character one
    followed by a title or by a Chinese character that ends no name (``_may_start_name`` asks
    this first). Each match is that one surname character, the rest is lookahead, so a scan
    finds every such position. The pattern starts with one character set (any surname's first
    character), which the regex engine tests fast; the rest runs only where that set matched."""
    family = surnames()
    seconds: dict[str, str] = {}
    for name in sorted(family):
        if len(name) == 2:
            seconds[name[0]] = seconds.get(name[0], "") + name[1]
    singles = "".join(sorted(name for name in family if len(name) == 1))
    stops = "".join(sorted(ch for ch in _STOP_CHARS if _CJK.match(ch)))
    titles = "|".join(map(re.escape, sorted(TITLES, key=len, reverse=True)))
    doubles = "|".join(f"(?<={first})[{rest}]" for first, rest in seconds.items())
    firsts = "".join(sorted({name[0] for name in family}))
    # (each alternation behind a one-character test all its branches imply: `re` tries an alternation's
    # branches one by one, ~35 titles and ~40 compound surnames, at every surname character of a note)
    title_firsts = "".join(sorted({title[0] for title in TITLES}))
    compound_firsts = "".join(seconds)
    return re.compile(f"[{firsts}](?=(?<=[{singles}])(?:(?![{stops}])[\u4e00-\u9fff]|(?=[{title_firsts}])(?:{titles}))"
                      f"|(?<=[{compound_firsts}])(?:{doubles}))")


def _covered_by_rules(text: str) -> bytearray:
    """1 for each character a context, organisation or address rule already found."""
    global _GATE_RULES
    if _GATE_RULES is None:
        _GATE_RULES = (ChineseNameRecognizer(), ChineseOrganizationRecognizer(), ChineseAddressRecognizer())
    covered = bytearray(len(text) + 1)
    for recognizer in _GATE_RULES:
        for span in _rule_spans(recognizer, text):
            covered[span.start : span.end] = b"\1" * (span.end - span.start)
    return covered


@lru_cache(maxsize=1)
def _surname_first_chars() -> re.Pattern[str]:
    """Any character that begins a surname (one or two characters long): the gate's scan for name
    candidates runs in the regex engine instead of a Python loop over every character."""
    return re.compile("[" + re.escape("".join(sorted({name[0] for name in surnames()}))) + "]")


def _tagging_cues(text: str, start: int, end: int, covered: bytearray, family: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Where an identifier the rules missed may lie in text[start:end] (see ``sentence_cues``)."""
    yield from _organisation_cues(text, start, end, covered)
    for match in _surname_first_chars().finditer(text, start, end):
        pos = match.start()
        if covered[pos]:
            continue
        surname_len = 2 if text[pos : pos + 2] in family else 1 if text[pos] in family else 0
        if surname_len and _may_start_name(text, pos, surname_len, end, covered):
            yield pos, min(end, pos + surname_len + 2)


def _organisation_cues(text: str, start: int, end: int, covered: bytearray) -> Iterator[tuple[int, int]]:
    """Organisation suffixes in text[start:end] the organisation rule did not settle."""
    for match in _ORG_SUFFIX_RE.finditer(text, start, end):
        if text.startswith("卡", match.end()):  # 银行卡 is no bank
            continue
        left = match.start()
        while left > start and covered[left - 1]:
            left -= 1
        # Not covered, or covered by a span the rule may have cut short at a stop character that can
        # also begin a name (和|泰信息有限公司); 在/于/到 before it are prepositions, not names.
        if not covered[match.start()] or (left > 0 and text[left - 1] in _ORG_STOPS_IN_NAMES):
            yield max(start, match.start() - _ORG_NAME_REACH), match.end()


def _may_start_name(text: str, pos: int, surname_len: int, end: int, covered: bytearray) -> bool:
    """An uncovered surname at ``pos``: before a title, or before a possible given name."""
    nxt = pos + surname_len
    if not _starts_title(text, nxt):
        if (nxt >= end or not "\u4e00" <= text[nxt] <= "\u9fff" or text[nxt] in _STOP_CHARS or covered[nxt]
                or _starts_clinical(text, pos) or text[pos - 1 : pos + 1] in _ANATOMY_BEFORE_NAME
                or (pos > 0 and text[pos - 1] in _NUMERALS and text[nxt] in "后前内余")):
            return False
        if surname_len == 2:
            # A compound surname (欧阳, 东方) is often a dictionary word itself: only a longer word
            # starting with it (东方红) says it is no name.
            words = _common_words()
            if text[pos : pos + 3] in words or text[pos : pos + 4] in words:
                return False
        elif _inside_word(text, pos):
            return False
    # A title's first character (师|傅) is no name; the name before it, if any, the rules found.
    if _starts_title(text, pos) and (pos == 0 or covered[pos - 1]):
        return False
    return not _word_not_name(text, pos, surname_len)


# Drug stems and dosage forms: a surname character followed within a name's length by one of these
# starts a drug, not a person (硝苯地|平控释片, |阿托伐他汀, |左甲状腺素钠).
_DRUG_PARTS = (
    "控释片 缓释片 肠溶片 分散片 胶囊 注射液 口服液 颗粒剂 软膏 滴眼液 他汀 沙坦 普利 洛尔 地平 西林 霉素 沙星 替丁 拉唑 "
    "双胍 格列 甲状腺素 胰岛素"
).split()


_DRUG_PARTS_RE = re.compile("|".join(map(re.escape, _DRUG_PARTS)))
_PRONOUNS = set("其该此之")


def _word_not_name(text: str, pos: int, surname_len: int) -> bool:
    """Is the surname character at ``pos`` plainly part of something else, so that the tagger need
    not look: a role word before a title (责|任护士, 主|任医师), a drug (阿托伐他汀), a longer
    common word right after it (左|甲状腺素), a pronoun after it (由|其), or the preposition 于
    between a verb and a common word (停放|于地下车库). On the zh_dev notes each test flags 40–80
    of the 325 cues and none of the 1,515 gold names there that begin with a surname."""
    if text[pos - 1 : pos + 1] in _ROLE_WORDS or text[max(0, pos - 2) : pos + 1] in _ROLE_WORDS:
        return True
    if _DRUG_PARTS_RE.search(text, pos, pos + surname_len + 5):  # any part inside text[pos : pos + surname_len + 5]
        return True
    after = pos + surname_len
    if text[after : after + 1] in _PRONOUNS:
        return True
    words = _common_words()
    if text[pos] == "于" and pos > 0 and "\u4e00" <= text[pos - 1] <= "\u9fff" and text[after : after + 2] in words:
        return True
    return text[after : after + 3] in words or text[after : after + 4] in words  # (no generator: ~9 calls a note)


def chinese_recognizers() -> list:
    return [ChineseTaggerRecognizer(), ChineseNameRecognizer(), ChineseOrganizationRecognizer(), ChineseAddressRecognizer()]
