"""Pattern recognizers: identifiers with a fixed shape, checked by validators, and numbers named by context.

Regular expressions are the right tool here (every published de-identifier, Presidio and Philter
included, uses them for shaped identifiers); what is ours is the catalogue for Chinese EMRs.
Context rules capture the value after a label (住院号：…, MRN: …) so a record number that looks like
a date or a phone number is typed by what the note says it is.
"""

from __future__ import annotations

import re

from yizhi.deid.text.recognizers import validators as v
from yizhi.deid.text.recognizers.base import PatternRecognizer, PatternRule

_NB = r"(?<![0-9A-Za-z])"  # no digit/letter before
_NA = r"(?![0-9A-Za-z])"  # no digit/letter after
_SEP = r"[ \t]*[:：#＃]?[ \t]*"  # between a label and its value
_LABEL_GAP = r"[ \t]*(?:[:：#＃]|是|为|No\.?|号码|号|is|was|of)?[ \t]*[:：]?[ \t]*"


# Speed: Python's `re` jumps straight to the possible first characters of a match only when the
# expression starts with a character or a set, not with a look-behind. So "(?<![\d.])\d{4}" is written
# "\d(?<![\d.]\d)\d{3}": the same matches (the look-behind now also covers the digit just read),
# found about twice as fast. tests/deid_text/test_deid_text_same_spans.py checks the spans are unchanged.
# (Only where that first set is rare: a set of common letters, as "\b(my name is|...)" would become,
# is tried at half the positions of English text and measured slower than the \b form.)
# Triggers (see PatternRule) must hold wherever their rule matches; test_deid_text_en_speed.py checks
# every one on all labeled texts, and rewritten expressions against their earlier forms.
def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _by_first_letter(alternatives: str) -> str:
    """Case-insensitive alternatives grouped by their first letter, order kept within each group:
    "(?:Acct|MRN|Account)" becomes "(?:A(?:cct|ccount)|M(?:RN))". At any position only the alternatives
    starting with that letter can match, in the same order as before, so the matches are the same;
    `re` then tries one group instead of every alternative at each position. For IGNORECASE patterns."""
    parts, depth, current = [], 0, ""
    for char in alternatives:  # split at top-level "|" (no escaped "|" or brackets holding "|" here)
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += char == "("
        depth -= char == ")"
        current += char
    parts.append(current)
    groups: dict[str, list[str]] = {}
    for part in parts:
        assert part and part[0].isalnum(), part
        groups.setdefault(part[0].lower(), []).append(part)
    return "(?:" + "|".join(f"{group[0][0]}(?:{'|'.join(p[1:] for p in group)})" for group in groups.values()) + ")"


DIGIT = re.compile(r"\d")
# A shift or a time range ("0700-1930", "07:00-19:30"): two clock times, not a phone number.
_TIME_RANGE = re.compile(r"(?:[01]\d|2[0-3]):?[0-5]\d[ ]?-[ ]?(?:[01]\d|2[0-3]):?[0-5]\d")
# A run of n digits, looked for from the start of each run only ("\d(?<!\d\d)" is a digit with none
# before it): a text holds one exactly when it holds "\d{n}", without retrying inside every long run.
DIGIT_RUN = re.compile(r"\d(?<!\d\d)\d{4}")
# (triggers are only asked whether they occur; each is written to start with a character `re` can jump to:
# "[.:](?<=\d[.:])" occurs exactly where "\d[.:]" does)
DOT_OR_COLON = re.compile(r"[.:](?:(?<=\d[.:])|\d|(?<=:)[0-9A-Fa-f])")  # \d[.:] or [.:]\d or :hex
AT = re.compile("@")
WEB = ("http", "www.", "ftp")  # (words: the one Aho-Corasick pass finds them; a regex would be another scan)


# --- identifiers shared by both languages --------------------------------------------------------
EMAIL = PatternRule("EMAIL", _rx(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), 0.98, trigger=AT)
URL = PatternRule(
    "URL",
    _rx(r"(?:https?://|ftp://|www\.)[^\s<>\"'，。；、）)（(]+[^\s<>\"'，。；、）)（(.,;:!?]"),
    0.95,
    trigger=WEB,
)
DOMAIN = PatternRule(
    "URL",
    _rx(
        r"(?<![@\w.])(?:[A-Za-z0-9-]+\.)+(?:com|net|org|edu|gov|info|biz|io|cn|hk|tw|uk|de|fr|se|be|dk|nl|no|fi|"
        r"pl|cz|at|ch|es|it|pt|au|br|cy|jp|kr|ru|us|ca|me|co)(?:\.[a-z]{2})?(?:/[^\s，。；]*)?(?![\w@])(?<![.][A-Z][a-z])",
        re.IGNORECASE,
    ),
    0.85,
)
IPV4 = PatternRule("IP_ADDRESS", _rx(r"\d(?<![0-9A-Za-z]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}" + r"(?![0-9.])"), 0.9, validator=v.ipv4, trigger=DOT_OR_COLON)
IPV6 = PatternRule(
    "IP_ADDRESS", _rx(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])"), 0.9, validator=v.ipv6,
    trigger=DOT_OR_COLON,
)
CARD = PatternRule("BANK_CARD", _rx(r"\d(?<![\d.]\d)\d{3}(?:[ -]?\d{3,4}){2,3}(?:[ -]?\d{1,3})?(?![\d.])"), 0.95, validator=v.luhn_card, trigger=DIGIT_RUN)
IBAN = PatternRule(
    "BANK_CARD", _rx(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), 0.95, validator=v.iban_number,
    trigger=re.compile(r"\d(?<=[A-Z]{2}\d)\d"),  # two capitals and two digits (the country and check digits)
)
CN_ID_18 = PatternRule(
    "ID_NUMBER", _rx(r"[1-9](?<![0-9A-Za-z][1-9])\d{5}[ ]?(?:18|19|20)\d{2}[ ]?\d{4}[ ]?\d{3}[0-9Xx]" + _NA), 0.99, validator=v.cn_resident_id,
    trigger=DIGIT_RUN,
)
CN_ID_15 = PatternRule("ID_NUMBER", _rx(r"[1-9](?<![0-9A-Za-z][1-9])\d{14}" + _NA), 0.85, validator=v.cn_resident_id_legacy, trigger=DIGIT_RUN)
ID_BY_LABEL = PatternRule(
    "ID_NUMBER",
    _rx(
        r"(?:身份证(?:号码|号)?|公民身份号码|证件(?:号码|号)?|护照(?:号码|号)?|通行证(?:号码|号)?|军官证(?:号)?|"
        r"居住证(?:号)?|社保号|社会保障号(?:码)?|passport(?:\s+(?:no\.?|number))?|ID\s*(?:No\.?|number|#)|"
        r"SSN|social security(?: number)?|driver'?s licen[cs]e(?: (?:no\.?|number))?|licen[cs]e (?:no\.?|number))"
        + _LABEL_GAP
        + r"((?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]{4,24})"
        + _NA,
        re.IGNORECASE,
    ),
    0.9,
    group=1,
    trigger=DIGIT,
)
CARD_BY_LABEL = PatternRule(
    "BANK_CARD",
    _rx(
        r"(?:银行卡(?:号)?|信用卡(?:号)?|卡号|账号|帐号|card(?: number| no\.?)?|account(?: number| no\.?)?|iban)"
        + _LABEL_GAP
        + r"(\d(?:[ -]?\d){9,22}|[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{10,30}[A-Za-z0-9])(?![\d])",
        re.IGNORECASE,
    ),
    0.85,
    group=1,
    trigger=DIGIT,
)
GENERIC_PHONE = PatternRule(
    # Grouped digits (699 956 915, 60-56-85-91, 467 3395): recall first, low confidence so a date wins the type.
    "PHONE",
    # (a subscriber part may run to 8 digits: 0393 1144137, 99 668472)
    # (written as one first character, '+', '(' or a digit, that `re` can jump to, then three branches,
    # each checking which character it was: the same matches as
    # "(?<![\w.,/:-])(?:\+\d{1,3}[ .-]?)?\(?\d{2,4}...", faster)
    _rx(r"[+(\d](?<![\w.,/:-][+(\d])(?:(?<=\+)\d{1,3}[ .-]?\(?\d{2,4}|(?<=\()\d{2,4}|(?<=\d)\d{1,3})"
        r"\)?(?:[ .-]\d{2,4}){0,3}[ .-]\d{2,8}(?:x\d{1,5})?(?![\w/,]|\.\d|-\d)"),
    0.55,
    validator=lambda value: 0.55 if 7 <= sum(map(str.isdigit, value)) <= 13 and not _TIME_RANGE.fullmatch(value) else None,
    trigger=DIGIT,
)
PASSPORT_CN = PatternRule(
    "ID_NUMBER",
    # _NB + "(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[DSP]E?\d{7}|[CW]\d{8}|[HM]\d{8,10})", first letter read once (see _rx)
    _rx(r"[EGDSPCWHM](?<![0-9A-Za-z][EGDSPCWHM])(?:(?<=[EG])\d{8}|(?<=E)[A-HJ-NP-Z]\d{7}|(?<=[DSP])E?\d{7}|(?<=[CW])\d{8}"
        r"|(?<=[HM])\d{8,10})" + _NA),
    0.8,
    trigger=DIGIT_RUN,
)
SSN = PatternRule("ID_NUMBER", _rx(r"[0-8](?<![\d-][0-8])(?!(?<=0)00|(?<=6)66)\d{2}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])"), 0.9, trigger=DIGIT)
LONG_NUMBER = PatternRule(
    # Recall first: a bare run of 9+ digits in a note is an identifier far more often than a value.
    "ID_NUMBER",
    _rx(r"\d(?<![\d.,]\d)\d{8,}(?![\d.,]|\s*(?:IU|iu|copies|拷贝|U/|mg|ml|mL|g/|μ|u/))"),
    0.5,
    trigger=DIGIT_RUN,
)

# --- Chinese ------------------------------------------------------------------------------------
CN_MOBILE = PatternRule(
    "PHONE", _rx(r"(?:\+(?<![\d.]\+)86[ -]?1|0(?<![\d.]0)086[ -]?1|1(?<![\d.]1))[3-9]\d(?:[ -]?\d{4}){2}(?![\d.])"), 0.95,
    trigger=DIGIT,
)
CN_LANDLINE = PatternRule(
    "PHONE",
    # "(?<![\d.])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ -])...", first character read once (see _rx)
    _rx(r"[(（0](?<![\d.][(（0])(?:(?<=\()0\d{2,3}\)|(?<=（)0\d{2,3}）|(?<=0)\d{2,3}[ -])[ ]?\d{7,8}(?:[-转]\d{1,5})?(?![\d.])"),
    0.9,
    trigger=DIGIT,
)
PHONE_BY_LABEL = PatternRule(
    "PHONE",
    _rx(
        r"(?:电话(?:号码)?|手机(?:号码|号)?|联系方式|座机|传真|热线|Tel(?:ephone)?|Phone|Fax|Cell|Mobile|call(?: me)?(?: at| on)?)"
        r"[ \t]*[:：]?[ \t]*(?:\+|00)?(\(?\d[\d ()\-.]{5,20}\d)",
        re.IGNORECASE,
    ),
    0.9,
    group=1,
    trigger=DIGIT,
)
CN_PLATE = PatternRule(
    "PLATE",
    _rx(
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z][·•・. ]?"
        r"(?:[A-HJ-NP-Z0-9]{5,6}|[A-HJ-NP-Z0-9]{4}[挂学警港澳])(?![A-Za-z0-9])"
    ),
    0.95,
    trigger=DIGIT,
)
SOCIAL_BY_LABEL = PatternRule(
    "SOCIAL_ID",
    _rx(
        r"(?:微信(?:号)?|WeChat(?: ID)?|QQ(?:号(?:码)?)?|微博|钉钉(?:号)?|抖音(?:号)?)"
        r"[ \t]*[:：]?[ \t]*([A-Za-z0-9][-_A-Za-z0-9]{4,19})",
        re.IGNORECASE,
    ),
    0.9,
    group=1,
    trigger=DIGIT,
)
RECORD_BY_LABEL = PatternRule(
    "RECORD_NUMBER",
    _rx(
        _by_first_letter(
            r"住院号|门诊号|急诊号|病案号|病历号|档案号|检查号|检验号|病理号|样本号|标本号|条码号|医保卡号|医保号|社保卡号|"
            r"健康档案号|就诊卡号|就诊号|卡号|登记号|影像号|放射号|报告编号|报告号|申请单号|流水号|ID号|患者ID|"
            # numbers of a treatment course, a study or a trial's subject ("放疗号RT-20240077", "受试者编号S-017")
            r"放疗号|化疗号|治疗号|透析号|手术号|麻醉号|心电图号|心电号|超声号|内镜号|胃镜号|肠镜号|CT号|MRI号|MR号|"
            r"X线号|PET号|介入号|会诊号|随访号|体检号|受试者编号|受试者号|研究编号|入组号|随机号|筛选号|患者编号|"
            r"MRN|Medical Record(?: Number| No\.?)?|Med Rec(?=[ ]*#)|MR(?=[ ]*#)|MR No\.?|Unit (?:No\.?|Number)|Unit(?=[ ]*#)|"
            r"Hosp(?:ital)?(?: Acct| No\.?)?(?=[ ]*#)|Adm(?:ission)?(?=[ ]*#)|Reg(?:istration)?(?=[ ]*#)|Record (?:No\.?|Number|#)|Accession(?: (?:No\.?|Number|#))?|"
            r"Acct\.?(?: (?:No\.?|#))?|Account(?: (?:No\.?|Number|#))?|Insurance(?: ID| No\.?| Number)?|Member ID|Policy(?: No\.?| Number)?|"
            r"Health Plan(?: ID| No\.?)?|Patient ID|Encounter(?: ID| No\.?)?|Visit (?:ID|No\.?)|Case (?:No\.?|Number)|Case(?=[ ]*[:#])|Specimen(?: ID| No\.?)?|Order (?:ID|No\.?)"
        )
        + _LABEL_GAP
        + r"([A-Za-z]{0,4}[-]?\d[A-Za-z0-9\-/]{2,29})"
        + _NA,
        re.IGNORECASE,
    ),
    0.95,
    group=1,
    trigger=DIGIT,
)
DEVICE_BY_LABEL = PatternRule(
    "DEVICE_ID",
    _rx(
        r"(?<![A-Za-z])(?:序列号|设备编号|设备号|仪器编号|出厂编号|起搏器编号|S/?N|Serial(?: No\.?| Number| #)?|Device ID|UDI|IMEI|MAC)(?![a-z])"
        + _LABEL_GAP
        # (a serial holds a digit: "MAC anesthesia", "in a serial fashion" are none)
        + r"(?=[A-Za-z:\-]{0,38}\d)([A-Za-z0-9][A-Za-z0-9:\-]{3,39})"
        + _NA,
        re.IGNORECASE,
    ),
    0.9,
    group=1,
    trigger=DIGIT,
)
CN_ZIP_BY_LABEL = PatternRule("ZIP", _rx(r"(?:邮编|邮政编码)" + _SEP + r"(\d{6})(?!\d)"), 0.95, group=1, trigger=DIGIT)

_CN_NUM = "〇零一二三四五六七八九十"
CN_DATES = [
    PatternRule(
        "DATE",
        _rx(
            r"[12](?<!\d[12])(?:(?<=1)[89]|(?<=2)0)\d{2}[ ]?年[ ]?\d{1,2}[ ]?月(?:[ ]?\d{1,2}[ ]?[日号])?"
            r"(?:[ ]?(?:上午|下午|凌晨|晚上|早上|中午|晚)?[ ]?\d{1,2}[:：时点](?:\d{1,2}分?)?)?"
        ),
        0.95,
    ),
    PatternRule(
        "DATE",
        _rx(
            r"\d(?<![\d年]\d)\d?[ ]?月[ ]?\d{1,2}[ ]?[日号]"
            r"(?:[ ]?(?:上午|下午|凌晨|晚上|早上|中午|晚)?[ ]?\d{1,2}[:：时点](?:\d{1,2}分?)?)?"
        ),
        0.9,
    ),
    PatternRule("DATE", _rx(rf"[{_CN_NUM}][{_CN_NUM}]{{3}}年[{_CN_NUM}]{{1,2}}月(?:[{_CN_NUM}]{{1,3}}[日号])?"), 0.9),
]

# --- dates and ages, both languages -----------------------------------------------------------------
NUMERIC_DATES = [
    PatternRule(
        "DATE",
        _rx(r"(?:1[89]|20)(?<![\d.]\d\d)\d{2}([-/.])\d{1,2}\1\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?(?![\d])"),
        0.9,
        validator=v.numeric_date,
    ),
    PatternRule(
        "DATE",
        _rx(r"\d(?<![\d./-]\d)\d?([-/.])\d{1,2}\1(?:\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?(?![\d/])"),
        0.85,
        validator=v.numeric_date,
    ),
    PatternRule("DATE", _rx(r"(?:1[89]|20)(?<![\d.]\d\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\d.])"), 0.6, validator=v.compact_date),
]
_MONTH_NAMES = ("Jan(?:uary)?", "Feb(?:ruary)?", "Mar(?:ch)?", "Apr(?:il)?", "May", "June?", "July?", "Aug(?:ust)?",
                "Sep(?:t(?:ember)?)?", "Oct(?:ober)?", "Nov(?:ember)?", "Dec(?:ember)?")
_MONTH = "(?:" + "|".join(_MONTH_NAMES) + r")\.?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# The same with the leading word boundary written after each first character (see _rx above):
# "\b(?:Jan...|Feb...)" is "(?:J(?<!\wJ)an...|F(?<!\wF)eb...)", and likewise for the day.
_B_MONTH = "(?:" + "|".join(f"{m[0]}(?<!\\w{m[0]}){m[1:]}" for m in _MONTH_NAMES) + r")\.?"
# (the day's first digit read once, by a set `re` can jump to; each branch then checks which digit it was)
_B_DAY = r"[0-9](?<!\w[0-9])(?:(?<=[12])\d|(?<=3)[01]|(?<=0)[1-9]|(?<=[1-9]))(?:st|nd|rd|th)?"
EN_DATES = [
    PatternRule("DATE", _rx(rf"{_B_MONTH}[ ]+{_DAY}(?:,?[ ]+(?:1[89]|20)\d{{2}})?(?![\d:])"), 0.9),
    PatternRule("DATE", _rx(rf"{_B_DAY}[ ]+(?:of[ ]+)?{_MONTH}(?:,?[ ]+(?:1[89]|20)\d{{2}})?\b"), 0.9),
    PatternRule("DATE", _rx(rf"{_B_MONTH}[ ]+(?:of[ ]+)?(?:1[89]|20)\d{{2}}\b"), 0.85),
    PatternRule("DATE", _rx(r"[0-9](?<=\bon [0-9])(?:(?<=0)[1-9]|(?<=[1-9])|(?<=1)[0-2])/(?:[12]\d|3[01]|0?[1-9])\b(?!/)"), 0.7),
]
AGES = [
    PatternRule("AGE", _rx(r"(?:9(?<![\d.]9)\d|1(?<![\d.]1)[0-2]\d)[ ]?(?:岁|周岁)"), 0.95),
    PatternRule(
        "AGE",
        _rx(r"(?:9(?<![\d.]9)\d|1(?<![\d.]1)[0-2]\d)(?=[ -]*(?:years?|yrs?|y/?o[mf]?\b|y\.o\.?))", re.IGNORECASE),
        0.95,
    ),
    PatternRule("AGE", _rx(r"\b(?:aged?|Age:?)[ ]+((?:9\d|1[0-2]\d))\b", re.IGNORECASE), 0.9, group=1),
    PatternRule("AGE", _rx(r"(?:年龄|年齡)[ \t]*[:：]?[ \t]*((?:9\d|1[0-2]\d))(?!\d)"), 0.9, group=1),
]

# --- English-only shapes ------------------------------------------------------------------------------
US_PHONE = PatternRule(
    "PHONE",
    # "(?<![\w/])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}...", written as branches by the first
    # character in the order the original tries them ('+1', '1' then the bare number, '(' , a digit): same matches.
    # (the first character is read once, by a set `re` can jump to, and each branch checks which it was)
    _rx(r"[+(\d](?<![\w/][+(\d])(?:" + "|".join((
        r"(?<=\+)1[ .-]?(?:\(\d{3}\)[ ]?|\d{3}[ .-])",
        r"(?<=1)[ .-]?(?:\(\d{3}\)[ ]?|\d{3}[ .-])",
        r"(?<=\()\d{3}\)[ ]?",
        r"(?<=\d)\d{2}[ ./-]",
    )) + r")\d{3}[ .-]\d{4}(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?![\d-])"),
    0.9,
    trigger=DIGIT,
)
INTL_PHONE = PatternRule("PHONE", _rx(r"\+(?<![\w+]\+)(?=(?:[ .()-]{0,2}\d){7})\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)"), 0.85, trigger=DIGIT)
# (7 digits at least: "I/O +1200/-800" is a fluid balance)
# English phone numbers in the world's formats. After a phone word ("Tel.", "reach me on", "my number
# is", "office line") any grouping is taken: spaces, dots, hyphens, slashes ("03480/75899524",
# "(06)75/711-6429"), a bracketed area code with or without a space ("(0909)8790933"), a "+" or "00"
# international prefix and an extension; the validator wants 6-15 digits and no date. (The shared
# PHONE_BY_LABEL also reads Chinese notes, whose spans must not change: this rule is English-only.)
PHONE_BY_CUE_EN = PatternRule(
    "PHONE",
    _rx(r"\b(?i:(?:phone|telephone|tel\.?|mobile|cell(?:[ ]?phone)?|fax|landline|office[ ]line|whats[ ]?app)"
        r"(?:[ ](?:number|no\.?|#))?|(?:call|ring|reach|text|contact)(?:[ ]me)?|(?:my|his|her|their|our|the)[ ]number)"
        r"[ \t]*(?i:at|on|is|:|#|-)?[ \t]*:?[ \t]*\n?[ \t]*"
        r"((?:\+|00)?\(?\+?\d[\d ()./-]{4,22}\d(?:[ ]?(?i:x|ext\.?)[ ]?\d{1,5})?)(?![\w/-]|[.,]\d)"),
    0.9,
    group=1,
    validator=v.phone_number,
    trigger=("phone", "tel", "mobile", "cell", "fax", "landline", "office line", "whats", "call", "ring", "reach",
             "text", "contact", "number"),
)
# "00" then a country code is the international prefix written out ("00420 703 636 819",
# "001-669-238-4937x396"): the shape INTL_PHONE reads after a "+" (English-only, as above).
INTL_PHONE_00 = PatternRule(
    "PHONE",
    _rx(r"0(?<![\w+]0)0\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?!\d)"),
    0.85,
    validator=v.phone_number,
    trigger=re.compile(r"00\d"),
)
# Unlabeled numbers with an area code written the European or Russian way, which GENERIC_PHONE's
# groups of two to four digits miss: a trunk-zero area code of up to five digits ("05504 87647 593",
# "(02347) 882985", "(0114)4960817"), one with a slash or a district after a hyphen ("03480/75899524",
# "06-91/740 0297"), a bracketed country code ("(+358) 533554140") and the Russian trunk 8 ("8 (097)
# 297-0480"). The validator wants 7-15 digits in all with a bracketed area code, 9-15 without one
# (v.phone_number's 6 is for labeled numbers): two clock times ("at 0800 1400") are not a number.
PHONE_AREA_CODE = PatternRule(
    "PHONE",
    _rx(r"[(08](?<![\w.,/:+(-][(08])(?:(?<=\()(?:0\d{1,4}|\+\d{1,3})\)[ ]?|(?<=0)\d{1,4}(?:-\d{1,2})?[ /]|"
        r"(?<=8)[ ](?:\(\d{3}\)[ ]?|\d{3}[ ]))\d{2,10}(?:[ .-]\d{2,5}){0,3}(?![\w/]|[.,:-]\d)"),
    0.6,
    validator=lambda value: 0.6 if sum(map(str.isdigit, value)) >= (7 if value[0] == "(" else 9) and v.phone_number(value) else None,
    # (each branch's opening: a bracket before 0 or +, a trunk-zero area code and its separator, or "8 ")
    trigger=re.compile(r"\((?:0|\+)|0\d{1,4}(?:-\d{1,2})?[ /]\d|8[ ][(\d]"),
)
_US_STATE_CODES = ("A[LKZR] C[AOT] D[EC] FL GA HI I[DLNA] K[SY] LA M[EDAINSOT] N[EVHJMYCD] O[HKR] PA RI S[CD] T[NX] UT V[TA] "
                   "W[AVIY] AA AE AP").split()
_ZIP_LABELS = ("ZIP", "zip code", "postal code", "postcode")
# A clock time after a state code is no ZIP: "arrived from OR 1420", "seen by MD 930" (a ZIP has five digits;
# the shorter values the rule also takes are postcodes abroad, none of which reads as a time of day).
_CLOCK = r"(?:[01]?\d|2[0-3])[0-5]\d\b(?![ -]\d)"
# "(?:\b(?:A[LKZR]|...)[ ]+|\b(?:ZIP|...)[ :]*)(...)" with every alternative opened by its first letter
# and the word boundary written after it (as _PLACE_CUE): `re` jumps to those letters (same matches).
US_ZIP = PatternRule(
    "ZIP",
    _rx(
        "(?:" + "|".join([f"{code[0]}(?<!\\w{code[0]}){code[1:]}[ ]+(?!{_CLOCK})" for code in _US_STATE_CODES]
                         + [f"{label[0]}(?<!\\w{label[0]}){label[1:]}[ :]*" for label in _ZIP_LABELS])
        + r")(\d{5}(?:-\d{4})?|(?<=[: ])\d{3,5}(?:[ -]\d{2,4}|[ ][A-Z]{2})?)\b"
    ),
    0.9,
    group=1,
    trigger=DIGIT,
    # (its start words, the state codes lower-cased and a space, are everywhere in English text: "medical ",
    # "in ", "done "; trying the expression at each was slower than its own scan, which jumps to capitals)
    use_start_words=False,
)
# A postcode after a word that names one, in any of the formats countries use: digits (4-8, the
# US ZIP+4, "394 13", "18-583", "8914-177", "75534-030"), a country letter before them ("H-3914",
# "CH-8000"), the Dutch letters after them ("7412 SL", "2914FW"), and the UK, Canadian and Irish
# letter-digit shapes ("SW1A 1AA", "K1A 0B1", "D02 X285"). The labels are read in any case
# ("zip code", "Postal Code"); the short ones that are also clinical abbreviations or words (CP
# chest pain, CAP pneumonia) only in capitals and before five digits, as Spain's CP and Italy's CAP
# are. Letters after digits must be capitals ("zip 12345 in Texas" is not "12345 in"); a value that
# opens with letters may be lower case ("postcode sw1a 1aa"). The expression is tried only where a
# label begins (its start words).
_POSTCODE = (r"(?:[A-Z]{1,2}-)?\d{3,8}(?:[ -]\d{2,4}(?![ -]?\d)|[ ]?[A-Z]{2}(?![A-Za-z]))?|\d\d-\d{3}|"
             r"[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|[A-Z]\d[\dW][ ]?[A-Z\d]{4}")
_POSTCODE_LOWER = _POSTCODE.replace("A-Z", "a-z").replace("A-Za-z", "a-z")
POSTCODE_BY_LABEL = PatternRule(
    "ZIP",
    _rx(r"\b(?:(?i:zip(?:[ ]?code)?(?:[ ]?/[ ]?postal(?:[ ]?code)?)?|postal[ ]?code|post[ ]?code|postleitzahl|"
        r"code[ ]postal|c[óo]digo[ ]postal|kod[ ]pocztowy|pin[ ]?code)|PLZ|CEP|C\.P\.|(?:CP|CAP)(?=[ ]?:?[ ]?\d{5}\b))"
        r"[ \t]*(?:[:#=\-–]|(?i:is|was))?[ \t]*:?[ \t]*\n?[ \t]*"
        rf"((?-i:{_POSTCODE})|(?-i:{_POSTCODE_LOWER}))(?![\w-])"),
    0.9,
    group=1,
    trigger=("zip", "postal", "postcode", "post code", "postleitzahl", "plz", "cep", "c.p.", "cp", "cap", "code postal",
             "digo postal", "kod pocztowy", "pin code", "pincode"),
)
US_STREET = PatternRule(
    "ADDRESS",
    _rx(
        r"\d(?<!\w\d)\d{0,5}[ ]+(?:[NSEW]\.?[ ]+)?(?:[A-Z][A-Za-z'.-]*[ ]+){1,4}"
        r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
        r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Loop|Alley|Row|Crescent|Close|Gardens|Parks?|Squares?|Streets?|"
        r"Turnpike|Freeway|Expressway|Motorway|Causeway|Bypass|Path|Walk|Pike|Run|Crossing|Heights|Hills?|Ridge|Manor|Point|"
        r"Springs?|Harbors?|Rapids?|Groves?|Villages?|Island|Inlet|Stream|Track|Camp|Divide|Club|Ways|Views?|Meadows?|Mills?)\b\.?"
        r"(?:,?[ ]+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Room|Rm\.?|#)[ ]*[A-Za-z0-9-]+)?"
    ),
    0.9,
    trigger=DIGIT,
)
US_ADDRESS_LINE = PatternRule(
    # "017 Heather Inlet, Nathanburgh, WA 11542": a house number, words, a town, a state and a ZIP
    "ADDRESS",
    _rx(r"\d(?<!\w\d)\d{0,5}[ ]+(?:[A-Z][A-Za-z'.-]*[ ]+){0,3}[A-Z][A-Za-z'.-]*,[ ]+(?:[A-Z][A-Za-z'.-]*[ ]?){1,3},[ ]+[A-Z]{2}[ ]+\d{5}(?:-\d{4})?\b"),
    0.9,
    trigger=DIGIT,
)
# Street forms outside the US (tuned on the even-template half of presidio-research's set only):
# a post-office box, US military post (USNS Bergman / FPO AP 93757, PSC 5420, Box 2708 / APO AA
# 33879), a street-type word before the name (ul. Miła 53, Rua ..., Via dei Fiorentini 17, rue du
# centre 320, Avda. Rio Nalon 58, C/ Señores Curas 88) or after it (Rákóczi út 13., Nybyvägen 65).
PO_BOX = PatternRule("ADDRESS", _rx(r"\bP\.?[ ]?O\.?[ ]?Box[ ]*\d+\b", re.IGNORECASE), 0.9, trigger=("box",))
MILITARY_POST = PatternRule(
    "ADDRESS",
    _rx(r"\b(?:(?:USNS|USNV|USS|USCGC)[ ]+[^\W\d_][\w'-]*(?:[ ]+[^\W\d_][\w'-]*)?|PSC[ ]+\d{1,5},?[ ]+Box[ ]+\d{1,5}|"
        r"Unit[ ]+\d{1,5}[ ]+Box[ ]+\d{1,5})[ ,\n]+[AF]PO[ ]+A[AEP][ ]+\d{5}\b", re.IGNORECASE),
    0.9,
    trigger=("apo", "fpo"),
)
# Flat, block, staircase and floor after a house number ("Nr. 474 Bl. 14  Sc. 66 Ap. 898", "Interior 115",
# "Edif. 684 , Depto. 438", "Appartamento 8", "Piano 1").
_UNIT_TAIL = (r"(?:[ ]*,?[ ]+(?:bl\.|sc\.|ap\.|et\.|interior|edif\.|depto\.|apt\.?|appartamento|apartamento|piano|scala|"
              r"piso|puerta|andar|sala|bloco|lote|casa|stiege|top|tür)[ ]*\d{1,5}[A-Za-z]?\b\.?)*")
_STREET_WORD_BEFORE = (r"ul\.|al\.|os\.|rua|rue|avenue|avenida|avda\.|av\.|calle|c/|boulevard|blvd\.|chemin|piazza|"
                       r"praça|trg|stra(?:ss|ß)e|str\.|plac|ulica|aleja|carrer|rambla|paseo|camino|largo|travessa|vicolo|corso")
# (added with the international stress set: Romanian, Portuguese, Italian, Mexican, Polish and French forms;
# a second rule, so each expression's start words stay few enough to be read: see base.start_words)
_MORE_STREET_WORDS_BEFORE = (
    r"pl\.|strada|drumul|aleea|intrarea|calea|bulevardul|splaiul|[sș]oseaua|pia[tț]a|estrada|alameda|rodovia|distrito|"
    r"contrada|borgo|piazzale|privada|prolongaci[óo]n|circunvalaci[óo]n|callej[óo]n|cerrada|andador|"
    r"perif[ée]rico|impasse|all[ée]e|quai|r[úu]a")
_STREET_NAME_AND_NUMBER = (r"[ ]+(?:[^\W\d_][\w'’.-]*,?[ ]+){0,5}?\d{1,5}[A-Za-z]?(?:[/-]\d{1,5}[A-Za-z]?)?\b\.?"
                           + _UNIT_TAIL)
FOREIGN_STREET = PatternRule(
    "ADDRESS",
    _rx(rf"(?:\b(?:{_STREET_WORD_BEFORE})|(?<![\w/])(?-i:Via|Viale)\b){_STREET_NAME_AND_NUMBER}", re.IGNORECASE),
    0.85,
    trigger=DIGIT,
)
MORE_FOREIGN_STREET = PatternRule(
    "ADDRESS", _rx(rf"\b(?:{_MORE_STREET_WORDS_BEFORE}){_STREET_NAME_AND_NUMBER}", re.IGNORECASE), 0.85,
    trigger=("pl.", "strada", "drumul", "aleea", "intrarea", "calea", "bulevardul", "splaiul", "soseaua", "șoseaua", "piata",
             "piața", "estrada", "alameda", "rodovia", "distrito", "contrada", "borgo", "privada", "prolongaci", "circunvalaci",
             "callej", "cerrada", "andador", "periférico", "periferico", "impasse",
             "allée", "allee", "quai", "rúa", "rua"),
)
FOREIGN_STREET_AFTER = PatternRule(
    "ADDRESS",
    _rx(r"\b(?:[^\W\d_][\w-]*[ ]){0,3}(?:út|utca|útja|tér|körút|köz)[ ]\d{1,4}\.?|"
        r"\b[^\W\d_]{2,}(?:vägen|gatan|gata|vej|vegen|veien|veg|straße|strasse|stræti|tie|katu|laan|weg|gasse|plein|"
        r"vegur|braut|gränd|stig|allé|allee|platz|straat|gracht|kade|gade|stræde|torv)[ ]\d{1,4}[A-Za-z]?"
        r"(?:[/-]\d{1,4}[A-Za-z]?)?\b", re.IGNORECASE),
    0.85,
    trigger=DIGIT,
)
# Suffixes that end common words too ("during 3", "bring 2"): only in a capitalised word ("Steinböckring
# 5/3", "Leberstr. 6/7"). Case-sensitive, a rule of its own (FOREIGN_STREET_AFTER stays foldable).
CAPITAL_STREET_AFTER = PatternRule(
    "ADDRESS",
    _rx(r"[A-ZÀ-ÖØ-Þ](?<![\w-][A-ZÀ-ÖØ-Þ])[\w-]*(?:ring|damm|ufer|pfad|steig|str\.|"
        # (and the Baltic street words written apart: "Luite tee 87", "Brīvības iela 12", "Gedimino gatvė 5")
        r"[ ](?:tee|maantee|puiestee|tänav|põik|iela|gatvė|prospektas))[ ]\d{1,4}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?\b"),
    0.85,
    trigger=("ring ", "damm ", "ufer ", "pfad ", "steig ", "str. ", " tee ", "maantee ", "puiestee ", "tänav ", "põik ",
             " iela ", "gatvė ", "prospektas "),
)
UNIT = PatternRule("ADDRESS", _rx(r"\b(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|PSC|Box|Flat|Studio)[ ]*#?\d+[A-Za-z]?\b"), 0.85, trigger=DIGIT)
# The French order, the number and a comma before the street word: "973, rue Berthelot", "55, chemin de Voisin".
FRENCH_STREET = PatternRule(
    "ADDRESS",
    _rx(r"\d(?<![\w.,/-]\d)\d{0,4}[A-Za-z]?,[ ](?i:rue|avenue|av\.|chemin|boulevard|bd|all[ée]e|impasse|place|quai|route)"
        r"(?:[ ]+(?i:de|du|des|la|le|l'|d'))?(?:[ ]+(?-i:[A-ZÀ-ÖØ-Þ])[\w'’-]*){1,4}"),
    0.85,
    trigger=(", rue", ", avenue", ", av.", ", chemin", ", boulevard", ", bd", ", allée", ", allee", ", impasse", ", place",
             ", quai", ", route"),
)
PLATE_BY_LABEL = PatternRule(
    "PLATE",
    _rx(r"(?:\blicen[cs]e plate\b|\bplate(?: number| no\.?)?\b|车牌(?:号)?)" + _LABEL_GAP
        # (the value in capitals and holding a digit: "the plate and secured it" is an orthopaedic plate)
        + r"(?-i:(?=[A-Z京沪粤·•\- ]{0,10}\d)([A-Z0-9京沪粤][A-Z0-9·•\- ]{3,9}[A-Z0-9]))", re.IGNORECASE),
    0.9,
    group=1,
    trigger=DIGIT,
)

for _rule in (*CN_DATES[:2], *NUMERIC_DATES, *EN_DATES, *AGES):
    _rule.trigger = DIGIT  # every one of these shapes holds a digit
ID_BY_LABEL.trigger = ("身份", "证件", "护照", "通行证", "军官证", "居住证", "社保", "社会保障", "passport", "id", "ssn",
                       "social security", "licen")
CARD_BY_LABEL.trigger = ("卡", "账号", "帐号", "card", "account", "iban")
PHONE_BY_LABEL.trigger = ("电话", "手机", "联系方式", "座机", "传真", "热线", "tel", "phone", "fax", "cell", "mobile", "call")
SOCIAL_BY_LABEL.trigger = ("微信", "wechat", "qq", "微博", "钉钉", "抖音")
RECORD_BY_LABEL.trigger = ("号", "id", "mrn", "record", "accession", "acct", "account", "insurance", "member", "policy",
                           "plan", "encounter", "visit", "case", "specimen", "order", "med rec", "mr", "unit", "hosp", "adm", "reg")
DEVICE_BY_LABEL.trigger = ("序列号", "编号", "设备号", "s/n", "sn", "serial", "device", "udi", "imei", "mac")
PLATE_BY_LABEL.trigger = ("plate", "车牌")
CN_ZIP_BY_LABEL.trigger = ("邮编", "邮政编码")
UNIT.trigger = ("apt", "apartment", "suite", "ste", "unit", "psc", "box", "flat", "studio")
FOREIGN_STREET.trigger = ("ul.", "al.", "os.", "rua", "rue", "avenue", "avenida", "avda.", "av.", "calle", "c/", "boulevard",
                          "blvd.", "chemin", "piazza", "praça", "trg", "strasse", "straße", "str.", "plac", "ulica", "aleja",
                          "carrer", "rambla", "paseo", "camino", "largo", "travessa", "vicolo", "corso", "via")
FOREIGN_STREET_AFTER.trigger = tuple(
    f"{suffix} " for suffix in "út utca útja tér körút köz vägen gatan gata vej vegen veien veg straße strasse stræti tie "
    "katu laan weg gasse plein vegur braut gränd stig allé allee platz straat gracht kade gade stræde torv".split())
AGES[2].trigger = ("age",)
AGES[3].trigger = ("年龄", "年齡")
EN_DATES[3].trigger = re.compile(r"on [0-9]{1,2}/")  # "on 3/14": nothing else can match
for _rule in EN_DATES[:3]:
    _rule.trigger = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
for _rule in CN_DATES[:2]:
    _rule.trigger = ("月",)
IPV6.trigger = re.compile(r":[0-9A-Fa-f]{0,4}:")  # two colons close together, not a clock time
DOMAIN.trigger = re.compile(r"\.(?<=\w\.)[A-Za-z]")  # a word character, a dot, a letter

# Digit shapes: a text with digits (nearly every note) still lacks most of these, and looking for the
# bare shape is one quick scan where the full rule would be tried at every digit. Each is a part every
# match must contain (tests/deid_text/test_deid_text_en_speed.py checks that on all labeled texts).
# A card's number opens with four digits and then three or four more, a space or hyphen between or not:
# "6222 0269 8743 8359 533" has no five-digit run (the trigger once asked for one, and such cards were
# missed without a label).
CARD.trigger = re.compile(r"\d(?<!\d\d)\d{3}[ -]?\d{3}")
CN_ID_15.trigger = re.compile(r"\d(?<!\d\d)\d{14}")  # (runs of 15, 9 and 8 digits: see DIGIT_RUN)
LONG_NUMBER.trigger = re.compile(r"\d(?<!\d\d)\d{8}")
SSN.trigger = re.compile(r"\d(?<!\d\d)\d\d[- ]\d\d[- ]\d{4}")  # (the rule wants no digit before either)
IPV4.trigger = re.compile(r"\.(?<=\d\.)\d{1,3}\.\d{1,3}\.\d")
NUMERIC_DATES[0].trigger = re.compile(r"[-/.](?<=\d{4}[-/.])\d")
NUMERIC_DATES[1].trigger = re.compile(r"[-/.](?<=\d[-/.])\d\d?[-/.]\d\d")
NUMERIC_DATES[2].trigger = re.compile(r"\d(?<!\d\d)\d{7}")
AGES[0].trigger = ("岁",)
AGES[1].trigger = re.compile(r"(?:9\d|1[0-2]\d)[ -]*[yY]")
# (these two start at a digit: in English text a space, where "[ .-]" would start, is far more common)
US_PHONE.trigger = re.compile(r"\d(?<=\d{3}[ .-]\d)\d{3}")
# (occurs exactly where "\d(?:(?<=\d[ .-]\d)|(?<=\d\)[ .-]\d))\d" does, its earlier form; about 0.7 µs less a note)
GENERIC_PHONE.trigger = re.compile(r"\d\)?[ .-]\d\d")
CN_MOBILE.trigger = re.compile(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}")
US_ADDRESS_LINE.trigger = re.compile(r",[ ]+[A-Z]{2}[ ]+\d{5}")

# Rules whose every match begins with the first digit of a run of at least this many digits (a digit with
# no digit before it, then that many digits): tried only where such runs begin instead of at every digit
# of the note (see base._run_starts; test_deid_text_rules_speed3.py compares them with a plain scan).
CARD.run_start = 4  # "\d(?<![\d.]\d)\d{3}"
CN_ID_18.run_start = 6  # "[1-9](?<![0-9A-Za-z][1-9])\d{5}"
CN_ID_15.run_start = 15  # "[1-9](?<![0-9A-Za-z][1-9])\d{14}"
LONG_NUMBER.run_start = 9  # "\d(?<![\d.,]\d)\d{8,}"
NUMERIC_DATES[0].run_start = 4  # "(?:1[89]|20)(?<![\d.]\d\d)\d{2}"
NUMERIC_DATES[2].run_start = 8  # the same and "(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
CN_DATES[0].run_start = 4  # "[12](?<!\d[12])(?:(?<=1)[89]|(?<=2)0)\d{2}"
# Triggers read from the same runs (base._passes_at_runs): where each trigger's matches sit against a run of four
# or more digits.
SSN.trigger_run = ("start", -7, 4)  # "\d(?<!\d\d)\d\d[- ]\d\d[- ]" before the run of "\d{4}"
US_PHONE.trigger_run = ("start", 0, 4)  # "\d(?<=\d{3}[ .-]\d)\d{3}": a digit after a separator, three more
CARD.trigger_run = ("start", 0, 4)  # "\d(?<!\d\d)\d{3}"
NUMERIC_DATES[0].trigger_run = ("end", 0, 4)  # "[-/.](?<=\d{4}[-/.])": the separator right after four digits

SHARED_RULES = [
    EMAIL, URL, DOMAIN, IPV4, IPV6, CARD, IBAN, CARD_BY_LABEL, CN_ID_18, CN_ID_15, ID_BY_LABEL, SSN, LONG_NUMBER,
    PHONE_BY_LABEL, RECORD_BY_LABEL, DEVICE_BY_LABEL, SOCIAL_BY_LABEL, PLATE_BY_LABEL, *NUMERIC_DATES, *AGES,
]
ZH_RULES = [CN_MOBILE, CN_LANDLINE, CN_PLATE, PASSPORT_CN, CN_ZIP_BY_LABEL, *CN_DATES, *EN_DATES, US_PHONE, INTL_PHONE]
EN_RULES = [US_PHONE, INTL_PHONE, GENERIC_PHONE, PHONE_BY_CUE_EN, INTL_PHONE_00, PHONE_AREA_CODE, CN_MOBILE, US_ZIP, POSTCODE_BY_LABEL, US_STREET, US_ADDRESS_LINE, UNIT, PO_BOX, MILITARY_POST,
            FOREIGN_STREET, MORE_FOREIGN_STREET, FOREIGN_STREET_AFTER, CAPITAL_STREET_AFTER,
            FRENCH_STREET, *EN_DATES]


def shared_recognizer() -> PatternRecognizer:
    return PatternRecognizer("patterns", frozenset({"zh", "en"}), list(SHARED_RULES))


def chinese_recognizer() -> PatternRecognizer:
    return PatternRecognizer("patterns_zh", frozenset({"zh"}), list(ZH_RULES))


def english_recognizer() -> PatternRecognizer:
    return PatternRecognizer("patterns_en", frozenset({"en"}), list(EN_RULES))
