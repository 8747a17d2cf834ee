"""Labeled Chinese clinical notes built by construction (no public Chinese PHI corpus exists).

Templates of eight note kinds are filled with Faker zh_CN values and with the hard cases real notes
have: compound surnames, names that are also words, a surname alone before 女士/护士, wrong check
digits, admission numbers that look like dates, lab values that look like phone numbers, durations,
doses, blood pressures and eponyms that must NOT be flagged. Every inserted identifier's offsets are
known, so labels are exact.

Two splits that share nothing but the note kinds: ``dev`` (templates variant 0, seed 11, values
whose CRC is even) for tuning, and ``test`` (variant 1, seed 29, odd-CRC values) for reporting.

    python -m yizhi.deid.text.evalset OUTPUT_DIR      # writes {zh,en}_{dev,test}.jsonl
"""

from __future__ import annotations

import json
import random
import re
import sys
import zlib
from datetime import date, timedelta
from collections.abc import Callable
from pathlib import Path

from faker import Faker
from faker.providers.ssn.zh_CN import Provider as ZhSsnProvider

SPLITS = {"dev": (0, 11), "test": (1, 29)}
NOTES_PER_SPLIT = 320

# Names that are also ordinary words: half go to each split.
WORD_NAMES = (
    "王平安 高明 黄海 金山 石磊 夏天 江南 白云 方圆 常青 安康 文静 马力 温暖 林立 齐心 向阳 钟情 万里 包容 康宁 "
    "高峰 田园 和平 李白 关心 童话 雷鸣 宁静 付出 成功 杜鹃 柳青 梅花 路遥 海洋 易安 程序 孔明 花朵 牛犇 晨曦"
).split()
COMPOUND = "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 呼延 澹台".split()
STREET_WORDS = (
    "建国 人民 解放 中山 和平 胜利 幸福 光明 长江 黄河 新华 朝阳 东风 青年 文化 学府 育才 迎宾 工农 红旗 滨江 "
    "湖滨 金桥 银河 丰收 团结 繁荣 振兴 春风 锦绣 翠湖 梧桐 桂花 枫林 松林 前进 复兴 友谊 体育 科技 "
).split()
STREET_KINDS = ["路", "街", "大道", "大街", "巷"]
COMMUNITY = ["花园", "小区", "家园", "公寓", "新村", "苑", "华庭", "雅居"]
HOSPITAL_KINDS = ["人民医院", "中医院", "中心医院", "妇幼保健院", "第一人民医院", "第二人民医院", "骨科医院", "儿童医院", "肿瘤医院"]
SCHOOL_KINDS = ["第一中学", "实验小学", "外国语学校", "职业技术学院", "师范大学"]


def _crc_split(value: str) -> int:
    return zlib.crc32(value.encode()) % 2



# Dates and birthdays are drawn relative to this day, not to today: Faker's relative ranges
# ("-10y", "today", date_of_birth, zh_CN ssn()) made the committed sets unreproducible a day later. It
# is the day they were generated, so the same draws come out (windows and age limits are Faker's own).
REFERENCE_DAY = date(2026, 11, 22)
EN_REFERENCE_DAY = REFERENCE_DAY
ZH_AREA_CODES = ZhSsnProvider.area_codes
EN_WINDOW_START = date(2016, 11, 21)  # Faker's "-10y" from that day (3,652.4 days back)

class _SplitValues:
    """Values drawn so that each falls in this split (by a checksum of the value): dev and test share none."""

    split: int

    def pick(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            value = make()
            if _crc_split(value) == self.split:
                return value
        return value


class Values(_SplitValues):
    """Identifier values for one split: disjoint pools chosen by a CRC of each value."""

    def __init__(self, split_index: int, rng: random.Random) -> None:
        self.split = split_index
        self.rng = rng
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(rng.randrange(1 << 30))
        self.en = Faker("en_US")
        self.en.seed_instance(rng.randrange(1 << 30))
        from faker.providers.person.zh_CN import Provider

        self.surnames = [s for s in Provider.last_names if _crc_split(s) == split_index]
        self.given = [g for g in Provider.first_names if len(g) == 1 and _crc_split(g) == split_index] or list(Provider.first_names)
        self.word_names = WORD_NAMES[split_index::2]
        self.compound = COMPOUND[split_index::2]
        self.streets = STREET_WORDS[split_index::2]


    # people ---------------------------------------------------------------------------------
    def person(self) -> str:
        roll = self.rng.random()
        if roll < 0.12:
            return self.rng.choice(self.word_names)
        if roll < 0.22:
            return self.rng.choice(self.compound) + "".join(self.rng.choices(self.given, k=self.rng.choice([1, 2])))
        surname = self.rng.choice(self.surnames)
        return surname + "".join(self.rng.choices(self.given, k=self.rng.choice([1, 2, 2])))

    def pinyin(self) -> str:
        from faker.providers.person.zh_CN import Provider

        return f"{self.rng.choice(Provider.last_romanized_names)} {self.rng.choice(Provider.first_romanized_names)}"

    # numbers --------------------------------------------------------------------------------
    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def resident_id(self) -> str:
        """Faker zh_CN's ``ssn()`` with its birthday counted back from REFERENCE_DAY, not today
        (the same draws in the same order, so the committed sets stay reproducible)."""
        age = timedelta(days=self.fake.random_int(18 * 365, 90 * 365))
        birthday = (REFERENCE_DAY - age).strftime("%Y%m%d")
        area = self.fake.random_element(ZH_AREA_CODES)
        value = self.fake.numerify(area + birthday + "##") + self.fake.random.choice("0123456789")
        return value + str((1 - 2 * int(value, 13)) % 11).replace("10", "X")

    def id18(self, bad: bool = False) -> str:
        value = self.resident_id()
        if bad:
            check = "0123456789X".replace(value[-1], "")
            value = value[:-1] + self.rng.choice(check)
        return value

    def id15(self) -> str:
        full = self.resident_id()
        return full[:6] + full[8:17]

    def mobile(self) -> str:
        number = self.rng.choice(["13", "15", "18", "17", "19"]) + self.digits(9)
        style = self.rng.random()
        if style < 0.15:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        if style < 0.25:
            return f"+86 {number}"
        return number

    def landline(self) -> str:
        area = self.rng.choice(["010", "021", "020", "0755", "028", "0571", "025", "027", "0531", "0991"])
        local = self.digits(8 if len(area) == 3 else 7)
        return self.rng.choice([f"{area}-{local}", f"({area}){local}", f"{area}-{local}-{self.digits(3)}"])

    def card(self) -> str:
        from stdnum import luhn

        body = self.rng.choice(["622202", "621700", "622848", "625907"]) + self.digits(12)
        number = body + luhn.calc_check_digit(body)
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if self.rng.random() < 0.4 else number

    def plate(self) -> str:
        province = self.rng.choice("京沪粤苏浙川鄂湘鲁豫")
        letter = self.rng.choice("ABCDEFGHJK")
        tail = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5))
        return f"{province}{letter}{self.rng.choice(['', '·'])}{tail}"

    def record_number(self) -> str:
        roll = self.rng.random()
        if roll < 0.3:  # looks like a date
            return f"20{self.rng.randint(18, 25)}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}{self.digits(self.rng.choice([0, 0, 2, 4]))}"
        if roll < 0.5:
            return self.rng.choice(["ZY", "MZ", "BL", "JC", "P"]) + self.digits(8)
        return self.digits(self.rng.choice([6, 7, 8, 10]))

    def serial(self) -> str:
        return self.rng.choice(["SN", "PM", "MRI-", "US"]) + "".join(self.rng.choice("ABCDEFGHJK0123456789") for _ in range(9))

    def wechat(self) -> str:
        return self.rng.choice(["wx_", "", "zh"]) + self.en.user_name()[:12] + self.digits(self.rng.choice([0, 2, 3]))

    def qq(self) -> str:
        return str(self.rng.randint(10000000, 2999999999))

    def passport(self) -> str:
        return self.rng.choice(["E", "G"]) + self.digits(8)

    # places and organisations ----------------------------------------------------------------
    def address(self) -> tuple[str, str]:
        province = self.pick(self.fake.province)
        city = self.pick(self.fake.city)
        district = self.pick(self.fake.district) + "区"
        street = self.rng.choice(self.streets) + self.rng.choice(STREET_KINDS)
        roll = self.rng.random()
        if roll < 0.4:
            house = f"{self.rng.randint(1, 300)}号{self.rng.choice(COMMUNITY[self.split::2])}{self.rng.randint(1, 30)}栋{self.rng.randint(1, 6)}单元{self.rng.randint(1, 30)}0{self.rng.randint(1, 4)}室"
        elif roll < 0.7:
            house = f"{self.rng.randint(1, 300)}号院{self.rng.randint(1, 20)}号楼{self.rng.randint(1, 6)}单元{self.rng.randint(101, 2504)}室"
        else:
            house = f"{self.rng.randint(1, 999)}号"
        prefix = self.rng.choice([province + city + district, city + district, district, province + city])
        return prefix + street + house, self.digits(6)

    def hospital(self) -> str:
        return self.pick(self.fake.city_name) + self.rng.choice(HOSPITAL_KINDS[self.split :: 2] + ["人民医院"])

    def community_centre(self) -> str:
        return self.pick(self.fake.district) + self.rng.choice(["街道社区卫生服务中心", "镇卫生院", "社区卫生服务站"])

    def employer(self) -> str:
        return self.pick(self.fake.company)

    def school(self) -> str:
        return self.pick(self.fake.city_name) + self.rng.choice(SCHOOL_KINDS)

    # dates -----------------------------------------------------------------------------------
    def date(self) -> str:
        year, month, day = self.rng.randint(2015, 2025), self.rng.randint(1, 12), self.rng.randint(1, 28)
        hour, minute = self.rng.randint(0, 23), self.rng.randint(0, 59)
        forms = [
            f"{year}年{month}月{day}日",
            f"{year}年{month}月{day}日 {hour:02d}:{minute:02d}",
            f"{month}月{day}日",
            f"{year}-{month:02d}-{day:02d}",
            f"{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}",
            f"{year}.{month:02d}.{day:02d}",
            f"{year}/{month}/{day}",
            f"{year}年{month}月{day}日{hour}时{minute}分",
        ]
        return self.rng.choice(forms)

    def birth_date(self) -> str:
        year, month, day = self.rng.randint(1925, 2010), self.rng.randint(1, 12), self.rng.randint(1, 28)
        return self.rng.choice([f"{year}年{month}月{day}日", f"{year}-{month:02d}-{day:02d}"])

    def old_age(self) -> str:
        return f"{self.rng.randint(90, 103)}岁"


# Non-identifying text that looks like identifiers: labels that must stay 0.
def lab_line(rng: random.Random) -> str:
    choices = [
        f"血压{rng.randint(100, 180)}/{rng.randint(60, 110)}mmHg",
        f"心率{rng.randint(55, 130)}次/分",
        f"体温{rng.randint(360, 395) / 10}℃",
        f"白细胞计数{rng.randint(30, 180) / 10}×10^9/L",
        f"血小板计数{rng.randint(80, 400)}×10^9/L",
        f"HBV-DNA {rng.randint(1000000000, 1999999999)} IU/mL",
        f"HCV-RNA {rng.randint(10000000, 19999999)} IU/mL",
        f"尿比重{rng.choice(['1.015', '1.020', '1.025'])}",
        f"空腹血糖{rng.randint(40, 150) / 10}mmol/L",
        f"肌酐{rng.randint(50, 300)}μmol/L",
        f"D-二聚体{rng.randint(1, 90) / 100}mg/L",
        f"糖化血红蛋白{rng.randint(50, 120) / 10}%",
        f"体重{rng.randint(400, 900) / 10}kg",
        f"血氧饱和度{rng.randint(88, 100)}%",
    ]
    return "，".join(rng.sample(choices, 3))


DURATIONS = ["3天", "2周", "1月余", "半年", "10余年", "5小时", "2天前", "1周后", "3个月"]
DISEASES = ["帕金森病", "阿尔茨海默病", "霍奇金淋巴瘤", "克罗恩病", "2型糖尿病", "高血压病3级", "冠状动脉粥样硬化性心脏病", "慢性阻塞性肺疾病", "桥本甲状腺炎", "川崎病"]
DRUGS = ["阿司匹林肠溶片100mg qd", "阿托伐他汀钙20mg qn", "二甲双胍0.5g tid", "硝苯地平控释片30mg qd", "布洛芬缓释胶囊0.3g prn", "左甲状腺素钠50μg qd"]

# Templates: one list per note kind, two variants (index 0 = dev, 1 = test). Placeholders in {}:
# upper-case ones insert a labeled identifier; lower-case ones insert unlabeled filler.
TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    "入院记录": (
        [
            "入院记录\n姓名：{PAT}  性别：{sex}  年龄：{age}  住院号：{RECORD_NUMBER}\n身份证号：{ID18}  联系电话：{MOBILE}\n"
            "现住址：{ADDRESS}  邮编：{ZIP}\n工作单位：{EMPLOYER}\n入院时间：{DATE}  病史陈述者：{REL}（{kin}）\n",
            "主诉：反复胸闷{dur}，加重{dur}。\n现病史：患者{PAT}于{DATE}无明显诱因出现胸闷，曾就诊于{HOSPITAL}，诊断为{disease}，予{drug}治疗。{lab}。\n",
            "既往史：{year}年行冠脉支架植入术。否认肝炎结核病史。\n个人史：生于{LOCATION}，久居本地。\n家族史：父亲{REL}患{disease}。\n",
            "记录医师：{DOC}  上级医师：{DOC}主任\n",
        ],
        [
            "【入院记录】\n患者姓名 {PAT}，{sex}，{age}，门诊号 {RECORD_NUMBER}，病案号 {RECORD_NUMBER}。\n证件号码：{ID18}；手机：{MOBILE}；座机：{LANDLINE}\n"
            "家庭住址：{ADDRESS}\n联系人：{REL}（{kin}），电话{MOBILE}\n",
            "主诉：头晕伴言语不清{dur}。\n现病史：{DATE}晨起出现头晕，家属发现后送至{HOSPITAL}急诊，查头颅CT示左侧基底节区低密度影，{lab}。\n",
            "既往史：{disease}病史{dur}，规律服用{drug}。\n婚育史：适龄婚育，配偶{REL}体健。\n",
            "住院医师：{DOC}  主治医师：{DOC}  {DATE}\n",
        ],
    ),
    "出院小结": (
        [
            "出院小结\n患者{PAT}，{sex}，{age}，因“{disease}”于{DATE}入院，{DATE}出院，共住院{dur}。\n医保卡号：{RECORD_NUMBER}\n",
            "出院诊断：1.{disease} 2.{disease}\n诊疗经过：入院后完善检查，{lab}。予{drug}。\n",
            "出院医嘱：1.继续{drug}。2.{dur}后门诊复查，如有不适随诊。3.随访电话：{LANDLINE}\n",
            "主治医师：{DOC}  住院医师：{DOC}\n{SUR}女士的出院手续由其{kin}{REL}办理。\n",
        ],
        [
            "出 院 记 录\n姓名：{PAT}  年龄：{OLD_AGE}  住院号：{RECORD_NUMBER}\n入院日期：{DATE}  出院日期：{DATE}\n",
            "入院情况：患者因{disease}由{COMMUNITY_CENTRE}转入我院。\n治疗经过：{lab}，病情好转。\n",
            "出院带药：{drug}。\n随访：请于{DATE}至{HOSPITAL}复诊，联系邮箱 {EMAIL}。\n",
            "医师签名：{DOC}   {DATE}\n",
        ],
    ),
    "病程记录": (
        [
            "{DATE} 首次病程记录\n患者{PAT}，{sex}，{age}，以“{disease}”收入院。{lab}。\n",
            "{DATE} 主任查房记录\n{DOC}主任查房后指出：患者{disease}诊断明确，继续{drug}，{dur}后复查。\n",
            "{DATE} 日常病程记录\n患者诉夜间睡眠差，{lab}。家属{REL}要求转回{HOSPITAL}。{SUR}护士已告知注意事项。\n",
            "记录者：{DOC}\n",
        ],
        [
            "病程记录（{DATE}）\n今日{DOC}副主任医师查房，患者{PAT}精神可，{lab}。\n",
            "{DATE} 术后第1天\n患者神清，{lab}。其子{REL}陪护，诉患者{dur}前曾在{HOSPITAL}住院。\n",
            "{DATE} 会诊记录\n邀请{HOSPITAL}{DOC}教授会诊，建议{drug}。\n",
            "签名：{DOC}\n",
        ],
    ),
    "检查报告": (
        [
            "{HOSPITAL} 影像检查报告\n检查号：{RECORD_NUMBER}  姓名：{PAT}  性别：{sex}  年龄：{age}\n检查日期：{DATE}  设备：GE Revolution CT 序列号 {DEVICE_ID}\n",
            "检查所见：双肺纹理增多，右肺上叶见结节影，大小约8mm×6mm。\n诊断意见：右肺上叶结节，建议{dur}后复查。\n",
            "报告医师：{DOC}  审核医师：{DOC}\n报告查询：{URL}\n",
        ],
        [
            "超声检查报告单  影像号 {RECORD_NUMBER}\n受检者 {PAT}  {OLD_AGE}  申请科室：心内科\n仪器编号：{DEVICE_ID}  检查时间 {DATE}\n",
            "超声描述：左心室舒张末内径56mm，射血分数45%，{lab}。\n超声提示：左室扩大，{disease}待排。\n",
            "检查医师：{DOC}  复核：{DOC}\n数据已上传至PACS服务器 {IP}。\n",
        ],
    ),
    "护理记录": (
        [
            "护理记录单  床号：12  姓名：{PAT}  住院号：{RECORD_NUMBER}\n{DATE} 体温36.8℃，{lab}。患者诉伤口疼痛，遵医嘱予{drug}。\n",
            "{DATE} 家属{REL}探视，已告知防跌倒措施。{SUR}师傅（护工）陪护。\n",
            "{DATE} 患者{dur}未排便，报告{DOC}医生。\n责任护士：{NURSE}\n",
        ],
        [
            "【护理记录】{PAT}（{OLD_AGE}）\n{DATE}：{lab}，予吸氧2L/min。\n",
            "{DATE}：患者女儿{REL}来电（{MOBILE}）询问病情，已转告{DOC}医师。\n",
            "{DATE}：交班，{lab}。护士签名：{NURSE}；护士长：{NURSE}\n",
        ],
    ),
    "门诊病历": (
        [
            "{HOSPITAL}门诊病历\n就诊卡号：{RECORD_NUMBER}  姓名：{PAT}  {sex}  {age}  就诊日期：{DATE}\n",
            "主诉：咳嗽咳痰{dur}。\n现病史：{dur}前受凉后出现咳嗽，在{COMMUNITY_CENTRE}输液治疗无好转。{lab}。\n",
            "处理：{drug}，{dur}后复诊。\n医生：{DOC}\n患者微信：{WECHAT}（用于推送检查结果）\n",
        ],
        [
            "门诊记录  {DATE}\n{PAT}，{sex}，{age}，身份证{ID15}，联系电话 {LANDLINE}\n工作单位：{SCHOOL}\n",
            "主诉：反复腹痛{dur}。查体：{lab}。\n诊断：{disease}。\n",
            "医嘱：{drug}。患者QQ {QQ} 已加入随访群。\n接诊医师：{DOC}\n",
        ],
    ),
    "手术记录": (
        [
            "手术记录\n患者姓名：{PAT}  住院号：{RECORD_NUMBER}  手术日期：{DATE}\n术前诊断：{disease}\n",
            "手术者：{DOC}  一助：{DOC}  麻醉医师：{DOC}\n手术经过：患者仰卧位，全麻成功后常规消毒铺巾，{lab}。\n",
            "植入物：心脏起搏器，设备编号 {DEVICE_ID}。\n术后患者安返病房，{SUR}先生（患者{kin}）已知情签字。\n",
        ],
        [
            "【手术记录】{HOSPITAL}\n病案号：{RECORD_NUMBER}  姓名：{PAT}  {age}\n手术时间：{DATE}\n",
            "主刀：{DOC}  麻醉：{DOC}\n术中出血约200ml，{lab}。\n",
            "标本送病理，病理号 {RECORD_NUMBER}。家属{REL}于{DATE}签署知情同意书，身份证号{ID18BAD}。\n",
        ],
    ),
    "病理报告": (
        [
            "{HOSPITAL} 病理诊断报告\n病理号：{RECORD_NUMBER}  姓名：{PAT}  {sex}  {age}\n送检日期：{DATE}  报告日期：{DATE}\n",
            "大体所见：灰白组织一块，大小2×1.5×1cm。\n病理诊断：{disease}。\n",
            "诊断医师：{DOC}  复核医师：{DOC}\n如有疑问请致电 {LANDLINE} 或发送邮件至 {EMAIL}\n",
        ],
        [
            "检验报告单  样本号：{RECORD_NUMBER}  条码号：{RECORD_NUMBER}\n姓名：{PAT}  出生日期：{BIRTH_DATE}  采样时间：{DATE}\n",
            "检验结果：{lab}；{lab}。\n",
            "检验者：{DOC}  审核者：{DOC}\n送检单位：{COMMUNITY_CENTRE}  患者护照号 {PASSPORT}（外籍随访：{PINYIN}）\n",
        ],
    ),
}

# Extra sentences mixed into every note, per split, carrying the rarer identifiers and hard cases.
EXTRAS: tuple[list[str], list[str]] = (
    [
        "患者车辆{PLATE}停放于地下车库。",
        "住院押金通过银行卡{BANK_CARD}支付。",
        "{SUR}女士为患者邻居，协助联系。",
        "{year}年曾在{HOSPITAL}行阑尾切除术。",
        "患者儿子{REL}在{SCHOOL}读书。",
        "高龄老人，年龄{OLD_AGE}。",
        "血常规：{lab}。",
        "患者英文名 {PINYIN}，联系邮箱 {EMAIL}。",
    ],
    [
        "紧急联系人{REL}，手机{MOBILE}。",
        "医保结算卡号{BANK_CARD}。",
        "{SUR}先生（同病房病友）反映夜间噪音。",
        "{year}年于{HOSPITAL}确诊{disease}。",
        "外院资料由{COMMUNITY_CENTRE}{DOC}医生提供。",
        "患者驾驶{PLATE}来院。",
        "复查：{lab}。",
        "身份证复印件号码{ID18}（原件已核对）。",
    ],
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The clock time a generated date may carry ("2024-03-05 14:30", "2024年3月5日10时20分") is written into the note
# but left out of the DATE span: tests/deid_text/data/GUIDELINE.md counts no time of day as a date element.
_CLOCK_TIME = re.compile(r"\s*\d{1,2}(?::\d{2}|时\d{1,2}分)$")
_TYPES = {
    "PAT": "NAME", "REL": "NAME", "DOC": "NAME", "NURSE": "NAME", "SUR": "NAME", "PINYIN": "NAME",
    "ID18": "ID_NUMBER", "ID18BAD": "ID_NUMBER", "ID15": "ID_NUMBER", "PASSPORT": "ID_NUMBER",
    "MOBILE": "PHONE", "LANDLINE": "PHONE", "EMAIL": "EMAIL", "URL": "URL", "IP": "IP_ADDRESS",
    "WECHAT": "SOCIAL_ID", "QQ": "SOCIAL_ID", "BANK_CARD": "BANK_CARD", "PLATE": "PLATE", "DEVICE_ID": "DEVICE_ID",
    "RECORD_NUMBER": "RECORD_NUMBER", "ADDRESS": "ADDRESS", "ZIP": "ZIP", "LOCATION": "LOCATION",
    "HOSPITAL": "ORGANIZATION", "EMPLOYER": "ORGANIZATION", "SCHOOL": "ORGANIZATION", "COMMUNITY_CENTRE": "ORGANIZATION",
    "DATE": "DATE", "BIRTH_DATE": "DATE", "OLD_AGE": "AGE",
}


def _fill(values: Values, rng: random.Random, template: str, note: dict) -> None:
    """Append ``template`` to ``note['text']`` with placeholders filled and labeled."""
    text: list[str] = [note["text"]]
    length = len(note["text"])
    cursor = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[cursor : match.start()]
        text.append(literal)
        length += len(literal)
        cursor = match.end()
        key = match.group(1)
        value = _value(values, rng, key, note)
        if key in _TYPES:
            span_value = _CLOCK_TIME.sub("", value) if _TYPES[key] == "DATE" else value
            note["spans"].append({"start": length, "end": length + len(span_value), "type": _TYPES[key], "text": span_value})
        text.append(value)
        length += len(value)
    text.append(template[cursor:])
    note["text"] = "".join(text)


def _value(values: Values, rng: random.Random, key: str, note: dict) -> str:
    patient = note.setdefault("_patient", values.person())
    simple: dict[str, Callable[[], str]] = {
        "PAT": lambda: patient,
        "SUR": lambda: values.person()[:2] if values.person()[:2] in COMPOUND else rng.choice(values.surnames),
        "REL": values.person, "DOC": values.person, "NURSE": values.person, "PINYIN": values.pinyin,
        "ID18": values.id18, "ID18BAD": lambda: values.id18(bad=True), "ID15": values.id15, "PASSPORT": values.passport,
        "MOBILE": values.mobile, "LANDLINE": values.landline, "EMAIL": lambda: values.en.free_email(),
        "URL": lambda: f"https://{values.en.domain_name()}/report/{values.digits(6)}",
        "IP": lambda: values.en.ipv4_private(), "WECHAT": values.wechat, "QQ": values.qq,
        "BANK_CARD": values.card, "PLATE": values.plate, "DEVICE_ID": values.serial,
        "RECORD_NUMBER": values.record_number, "HOSPITAL": values.hospital, "EMPLOYER": values.employer,
        "SCHOOL": values.school, "COMMUNITY_CENTRE": values.community_centre, "DATE": values.date,
        "BIRTH_DATE": values.birth_date, "OLD_AGE": values.old_age,
        "LOCATION": lambda: values.pick(values.fake.city),
        "sex": lambda: rng.choice(["男", "女"]), "age": lambda: f"{rng.randint(18, 88)}岁",
        "dur": lambda: rng.choice(DURATIONS), "disease": lambda: rng.choice(DISEASES), "drug": lambda: rng.choice(DRUGS),
        "lab": lambda: lab_line(rng), "year": lambda: str(rng.randint(2005, 2023)),
        "kin": lambda: rng.choice(["儿子", "女儿", "配偶", "侄子", "兄弟"]),
    }
    if key == "ADDRESS":
        address, postcode = values.address()
        note["_zip"] = postcode
        return address
    if key == "ZIP":
        return note.pop("_zip", values.digits(6))
    return simple[key]()


def generate(split: str, count: int = NOTES_PER_SPLIT) -> list[dict]:
    variant, seed = SPLITS[split]
    rng = random.Random(seed)
    values = Values(variant, rng)
    kinds = list(TEMPLATES)
    notes = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        note = {"id": f"zh-{split}-{index:04d}", "kind": kind, "text": "", "spans": []}
        parts = TEMPLATES[kind][variant]
        for part in parts:
            _fill(values, rng, part, note)
        for extra in rng.sample(EXTRAS[variant], 2):
            _fill(values, rng, extra, note)
        note.pop("_patient", None)
        note.pop("_zip", None)
        notes.append(note)
    return notes


def write(directory: Path) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for language, split in [(lang, split) for lang in ("zh", "en") for split in SPLITS]:
        notes = generate(split) if language == "zh" else generate_en(split)
        path = directory / f"{language}_{split}.jsonl"
        tmp = path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for note in notes:
                handle.write(json.dumps(note, ensure_ascii=False) + "\n")
        tmp.replace(path)
        counts[f"{language}_{split}"] = sum(len(n["spans"]) for n in notes)
    return counts



# --- English clinical notes ------------------------------------------------------------------------
# The shared presidio-research set is general English; these notes are clinical (discharge
# summaries, radiology, nursing, clinic, operative and pathology notes), built the same way as the
# Chinese ones: templates variant 0 / seed 11 / even-CRC values for dev, variant 1 / seed 29 /
# odd-CRC values for the held-out test split.
EN_TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    "discharge summary": (
        ["DISCHARGE SUMMARY\nPatient: {PAT}    MRN: {MRN}    DOB: {DOB}\nAdmission date: {DATE}    Discharge date: {DATE}\n"
         "Attending: Dr. {DOC}\n",
         "HOSPITAL COURSE: {PAT_FIRST} is a {age}-year-old {sex} with a history of {disease} admitted for {complaint}. {lab}. "
         "Treated with {drug}.\n",
         "DISPOSITION: Discharged home with her daughter {REL}. Follow up with Dr. {DOC} at {HOSPITAL} in {dur}.\n"],
        ["Discharge Summary - {HOSPITAL}\nName: {PAT}\nMedical Record Number: {MRN}\nAdmitted {DATE}; discharged {DATE}.\n",
         "Mr. {PAT_LAST}, age {OLD_AGE}, was transferred from {HOSPITAL} with {complaint}. {lab}. Started on {drug}.\n",
         "Contact: son {REL}, phone {PHONE}. PCP: {DOC}, MD, fax {PHONE}.\n"],
    ),
    "radiology report": (
        ["RADIOLOGY REPORT\nAccession No: {ACC}    Patient: {PAT}    Exam date: {DATE}\nCT chest with contrast.\n",
         "FINDINGS: {finding}\nIMPRESSION: {impression}\nDictated by {DOC}, MD on {DATE}.\n"],
        ["MRI brain, accession #{ACC}, performed {DATE} at {HOSPITAL}.\nPatient {PAT} ({OLD_AGE}-year-old).\n",
         "Findings: {finding} Impression: {impression}\nImages archived at {URL} (PACS {IP}).\n"],
    ),
    "nursing note": (
        ["Nursing note {DATE}\nPt {PAT} resting comfortably. {lab}. Foley catheter draining clear urine.\n",
         "Wife {REL} at bedside, can be reached at {PHONE}. Glasgow Coma Scale 15.\nRN: {NURSE}\n"],
        ["{DATE} 0800: {PAT_LAST} alert and oriented x3. {lab}.\n",
         "Family ({REL}, email {EMAIL}) updated by phone. Fall precautions in place.\nSigned {NURSE}, RN\n"],
    ),
    "clinic note": (
        ["Clinic visit {DATE}\n{PAT} (DOB {DOB}), SSN {SSN}, Insurance ID: {INS}\nAddress: {ADDRESS}\n",
         "Chief complaint: {complaint} x {dur}. PMH: {disease}. Meds: {drug}.\nSeen by Dr. {DOC}.\n"],
        ["Outpatient note for {PAT}, seen on {DATE} by {DOC}, NP.\nLives at {ADDRESS}. Works at {EMPLOYER}.\n",
         "Assessment: {disease}. {lab}. Plan: continue {drug}; return in {dur}.\nMember ID: {INS}\n"],
    ),
    "operative note": (
        ["OPERATIVE NOTE\nPatient: {PAT}  MRN {MRN}\nDate of surgery: {DATE}\nSurgeon: {DOC}, MD  Assistant: {DOC}, PA-C\n",
         "Procedure: laparoscopic cholecystectomy. EBL 50 mL. Pacemaker serial number {SERIAL} noted.\n"],
        ["Op note {DATE}. Surgeon Dr. {DOC}. Anesthesia: {DOC}, CRNA.\nPatient {PAT}, account {ACCT}.\n",
         "Procedure: right total knee arthroplasty. Implant lot {SERIAL}. Tourniquet 250 mmHg for 68 minutes.\n"],
    ),
    "pathology report": (
        ["SURGICAL PATHOLOGY\nCase: {ACC}   Patient: {PAT}   Received: {DATE}\n",
         "DIAGNOSIS: {disease}. Margins negative.\nPathologist: {DOC}, MD ({EMAIL})\n"],
        ["Pathology report for {PAT} (MRN: {MRN}), specimen collected {DATE} at {HOSPITAL}.\n",
         "Final diagnosis: {disease}. Ki-67 20%.\nQuestions: call {PHONE}.\n"],
    ),
}
EN_EXTRAS: tuple[list[str], list[str]] = (
    ["Emergency contact: {REL} ({PHONE}).", "Patient is {OLD_AGE} years old.", "Prior records from {HOSPITAL} dated {DATE}.",
     "She lives at {ADDRESS}.", "Blood pressure 150/90, heart rate 88."],
    ["Next of kin: {REL}, {PHONE}.", "Age: {OLD_AGE}.", "Outside films from {HOSPITAL} on {DATE} reviewed.",
     "Home address {ADDRESS}.", "Creatinine 1.4 mg/dL, potassium 4.1."],
)
EN_DISEASES = ["Parkinson's disease", "Hodgkin lymphoma", "Alzheimer's dementia", "type 2 diabetes", "Crohn's disease",
               "hypertension", "congestive heart failure", "Graves' disease", "COPD"]
EN_DRUGS = ["metformin 500 mg BID", "Lipitor 20 mg daily", "lisinopril 10 mg daily", "aspirin 81 mg", "Tylenol 650 mg PRN",
            "heparin 5000 units SC"]
EN_COMPLAINTS = ["chest pain", "shortness of breath", "abdominal pain", "syncope", "fever and cough"]
EN_FINDINGS = ["Subcentimeter nodule in the right upper lobe.", "No acute intracranial hemorrhage.",
               "Mild cardiomegaly without effusion."]
EN_IMPRESSIONS = ["Follow-up CT in 6 months.", "No acute process.", "Findings consistent with Bell's palsy workup negative."]
_EN_TYPES = {
    "PAT": "NAME", "PAT_LAST": "NAME", "PAT_FIRST": "NAME", "REL": "NAME", "DOC": "NAME", "NURSE": "NAME", "MRN": "RECORD_NUMBER",
    "ACC": "RECORD_NUMBER", "ACCT": "RECORD_NUMBER", "INS": "RECORD_NUMBER", "SSN": "ID_NUMBER", "PHONE": "PHONE",
    "EMAIL": "EMAIL", "URL": "URL", "IP": "IP_ADDRESS", "ADDRESS": "ADDRESS", "HOSPITAL": "ORGANIZATION",
    "EMPLOYER": "ORGANIZATION", "DATE": "DATE", "DOB": "DATE", "OLD_AGE": "AGE", "SERIAL": "DEVICE_ID",
}


class EnglishValues(_SplitValues):
    def __init__(self, split_index: int, rng: random.Random) -> None:
        self.split = split_index
        self.rng = rng
        self.fake = Faker("en_US")
        self.fake.seed_instance(rng.randrange(1 << 30))

    def date(self) -> str:
        day = self.fake.date_between(start_date=EN_WINDOW_START, end_date=EN_REFERENCE_DAY)
        forms = [day.strftime("%m/%d/%Y"), day.strftime("%B %d, %Y").replace(" 0", " "), day.strftime("%b %d, %Y").replace(" 0", " "),
                 day.isoformat(), f"{day.month}/{day.day}/{day.strftime('%y')}", day.strftime("%d %B %Y").lstrip("0"),
                 day.strftime("%B %d").replace(" 0", " "), f"{day.isoformat()} {self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"]
        return self.rng.choice(forms)

    def dob(self) -> str:
        start = EN_REFERENCE_DAY.replace(year=EN_REFERENCE_DAY.year - 101)
        end = EN_REFERENCE_DAY.replace(year=EN_REFERENCE_DAY.year - 18)
        day = self.fake.date_time_ad(start_datetime=start, end_datetime=end).date()
        day = day if day != start else day + timedelta(days=1)
        return self.rng.choice([day.strftime("%m/%d/%Y"), day.isoformat()])

    def phone(self) -> str:
        return self.rng.choice([f"({self.rng.randint(201, 989)}) {self.rng.randint(200, 999)}-{self.rng.randint(0, 9999):04d}",
                                f"{self.rng.randint(201, 989)}-{self.rng.randint(200, 999)}-{self.rng.randint(0, 9999):04d}",
                                f"+1 {self.rng.randint(201, 989)} {self.rng.randint(200, 999)} {self.rng.randint(0, 9999):04d}"])

    def address(self) -> str:
        return self.pick(lambda: f"{self.fake.building_number()} {self.fake.street_name()}, {self.fake.city()}, "
                                 f"{self.fake.state_abbr()} {self.fake.zipcode()}")

    def hospital(self) -> str:
        return self.pick(lambda: self.rng.choice([f"{self.fake.city()} General Hospital", f"St. {self.fake.first_name()} Medical Center",
                                                  f"{self.fake.last_name()} Memorial Hospital", f"{self.fake.city()} Community Clinic"]))


def _en_value(values: EnglishValues, rng: random.Random, key: str, note: dict) -> str:
    fake = values.fake
    patient = note.setdefault("_patient", (values.pick(fake.first_name), values.pick(fake.last_name)))
    table: dict[str, Callable[[], str]] = {
        "PAT": lambda: f"{patient[0]} {patient[1]}", "PAT_LAST": lambda: patient[1], "PAT_FIRST": lambda: patient[0],
        "REL": lambda: f"{values.pick(fake.first_name)} {values.pick(fake.last_name)}",
        "DOC": lambda: f"{values.pick(fake.first_name)} {values.pick(fake.last_name)}",
        "NURSE": lambda: f"{values.pick(fake.first_name)} {values.pick(fake.last_name)}",
        "MRN": lambda: str(rng.randint(1000000, 99999999)), "ACC": lambda: f"{rng.choice(['CT', 'MR', 'SP', 'A'])}{rng.randint(100000, 9999999)}",
        "ACCT": lambda: str(rng.randint(10000000, 999999999)), "INS": lambda: f"{rng.choice(['XHP', 'BCB', 'UHC'])}{rng.randint(10000000, 99999999)}",
        "SSN": fake.ssn, "PHONE": values.phone, "EMAIL": fake.email, "URL": lambda: f"https://{fake.domain_name()}/studies/{rng.randint(1000, 99999)}",
        "IP": fake.ipv4_private, "ADDRESS": values.address, "HOSPITAL": values.hospital, "EMPLOYER": lambda: values.pick(fake.company),
        "DATE": values.date, "DOB": values.dob, "OLD_AGE": lambda: str(rng.randint(90, 104)),
        "SERIAL": lambda: f"{rng.choice(['PJN', 'SN', 'LOT'])}{rng.randint(100000, 9999999)}",
        "age": lambda: str(rng.randint(20, 88)), "sex": lambda: rng.choice(["man", "woman"]), "dur": lambda: rng.choice(["2 weeks", "3 days", "6 months"]),
        "disease": lambda: rng.choice(EN_DISEASES), "drug": lambda: rng.choice(EN_DRUGS), "complaint": lambda: rng.choice(EN_COMPLAINTS),
        "finding": lambda: rng.choice(EN_FINDINGS), "impression": lambda: rng.choice(EN_IMPRESSIONS),
        "lab": lambda: rng.choice(["WBC 12.3, hemoglobin 10.1, platelets 245", "BP 150/90, HR 88, SpO2 96% on room air",
                                   "Sodium 138, potassium 4.2, creatinine 1.1", "Temp 38.2 C, RR 22"]),
    }
    return table[key]()


def generate_en(split: str, count: int = 160) -> list[dict]:
    variant, seed = SPLITS[split]
    rng = random.Random(seed + 1000)
    values = EnglishValues(variant, rng)
    kinds = list(EN_TEMPLATES)
    notes = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        note = {"id": f"en-{split}-{index:04d}", "kind": kind, "text": "", "spans": []}
        for part in EN_TEMPLATES[kind][variant] + [" ".join(rng.sample(EN_EXTRAS[variant], 2))]:
            _fill_with(lambda key: _en_value(values, rng, key, note), _EN_TYPES, part, note)
        note.pop("_patient", None)
        notes.append(note)
    return notes


def _fill_with(value_of: Callable[[str], str], types: dict[str, str], template: str, note: dict) -> None:
    pieces = [note["text"]]
    length = len(note["text"])
    cursor = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[cursor : match.start()]
        pieces.append(literal)
        length += len(literal)
        cursor = match.end()
        value = value_of(match.group(1))
        if match.group(1) in types:
            kind = types[match.group(1)]
            span_value = _CLOCK_TIME.sub("", value) if kind == "DATE" else value  # (no time of day: as _fill)
            note["spans"].append({"start": length, "end": length + len(span_value), "type": kind, "text": span_value})
        pieces.append(value)
        length += len(value)
    pieces.append(template[cursor:])
    note["text"] = "".join(pieces)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/deid_text/data")
    print(write(target))
