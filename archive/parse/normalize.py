"""Text and value normalisation (report-format.md §8).

Every parser returns a `Parsed`: the value (or None), the flags that explain how it was
obtained, the unit seen in the cell and any extra facts (e.g. the amount of `13宗共113200元`).
A blank cell is reported as `value=None, blank=True`; the caller decides whether blank
means 0 (only when the table's cells could be delimited).
"""
from __future__ import annotations

import re
from functools import wraps
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# Simplified forms of the traditional characters seen in mirror pages' table labels.
_T2S = str.maketrans({
    "規": "规", "範": "范", "檔": "档", "許": "许", "處": "处", "罰": "罚", "強": "强",
    "製": "制", "數": "数", "總": "总", "資": "资", "訊": "讯", "務": "务", "開": "开",
    "請": "请", "結": "结", "轉": "转", "繼": "继", "續": "续", "辦": "办", "與": "与",
    "國": "国", "祕": "秘", "禁": "禁", "險": "险", "當": "当", "過": "过", "執": "执",
    "訴": "诉", "複": "复", "議": "议", "審": "审", "維": "维", "糾": "纠", "費": "费",
    "採": "采", "購": "购", "項": "项", "額": "额", "勾": "勾", "稽": "稽", "關": "关",
    "係": "系", "機": "机", "構": "构", "業": "业", "會": "会", "護": "护", "權": "权",
    "益": "益", "屬": "属", "類": "类", "內": "内", "決": "决", "訪": "访", "舉": "举",
    "報": "报", "確": "确", "認": "认", "補": "补", "掌": "掌", "現": "现",
    "門": "门", "際": "际", "統": "统", "計": "计", "證": "证", "動": "动", "態": "态",
    "獲": "获", "經": "经", "濟": "济", "營": "营", "單": "单", "實": "实", "體": "体",
})

DASHES = "-—–―−‐‑﹣－─"
_DASH_ONLY = re.compile(rf"^[{DASHES}/\\／×xX]+$")
_DASH_WORDS = {"无", "空", "無"}
_COUNT_UNITS = "件条项宗次个篇人家份起"
_QUOTES = re.compile(r"[\"'“”‘’「」『』]")


def nfkc(s: str) -> str:
    """NFKC plus the dash/space clean-up used everywhere (full-width digits, `（）`, U+3000)."""
    s = unicodedata.normalize("NFKC", s).translate(_T2S)
    return s.replace("\u2212", "-").replace("\u00a0", " ")


def norm_label(s: str) -> str:
    """A label for matching: NFKC, no whitespace, no quotes, no trailing colon."""
    s = _QUOTES.sub("", nfkc(s))
    s = re.sub(r"\s+", "", s)
    return s.rstrip(":")


def strip_field_codes(text: str) -> str:
    """Remove Word field codes (`HYPERLINK "…"`) left in DOCX/HTML extractions."""
    return re.sub(r'HYPERLINK\s+"[^"\n]*"\s*', "", text)


@dataclass
class Parsed:
    value: int | float | None = None
    flags: list[str] = field(default_factory=list)
    unit: str | None = None
    extra: dict = field(default_factory=dict)
    blank: bool = False

    @property
    def ok(self) -> bool:
        """True when the cell holds something a table cell may hold (number, dash, blank)."""
        return self.value is not None or self.blank


def _num(s: str) -> Decimal | None:
    s = s.replace(",", "").replace("，", "")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _out(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(round(d, 6))


#: Set by the OCR extractor after a figure it is unsure of (archive/extract/ocr.py): the value is
#: read as printed and flagged `ocr_doubt`, never silently trusted.
OCR_DOUBT = "\u2e2e"


def ocr_doubt_aware(parse):
    """Wrap a cell parser: a cell marked OCR_DOUBT is parsed without the mark, flagged `ocr_doubt`."""
    @wraps(parse)
    def wrapper(raw, *args, **kwargs):
        if raw and OCR_DOUBT in raw:
            if not raw.replace(OCR_DOUBT, "").strip():   # ink OCR could not read: not a blank cell
                return Parsed(None, ["unreadable", "ocr_doubt"])
            p = parse(raw.replace(OCR_DOUBT, ""), *args, **kwargs)
            p.flags.append("ocr_doubt")
            return p
        return parse(raw, *args, **kwargs)
    return wrapper


def _clean(raw: str | None) -> str:
    s = nfkc(raw or "").strip()
    s = re.sub(r"^[¥￥]\s*", "", s)
    if re.fullmatch(r"\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?", s):  # thousands groups
        s = re.sub(r"[ ,]", "", s)
    return s


def _dash_or_blank(s: str) -> Parsed | None:
    if not s:
        return Parsed(blank=True, flags=["blank"])
    if _DASH_ONLY.match(s) or s in _DASH_WORDS:
        return Parsed(0, ["dash"])
    if s == "零":
        return Parsed(0)
    return None


_AMOUNT = re.compile(rf"^(\d+)\s*(?:[{_COUNT_UNITS}]\s*[,，、]?\s*(?:共计|共|合计|计)?|[,，、]?\s*(?:共计|共|合计|计))"
                     r"\s*([\d.,]+)\s*(万元|元)$")


@ocr_doubt_aware
def parse_count(raw: str | None) -> Parsed:
    """A count cell (§8.2)."""
    s = _clean(raw)
    special = _dash_or_blank(s)
    if special:
        return special
    m = re.fullmatch(r"([+-]?)\s*(\d[\d,]*(?:\.\d+)?)", s)
    if m:
        d = _num(m.group(2))
        if d is not None:
            if m.group(1) == "-":
                d = -d
            p = Parsed(_out(d))
            if d != d.to_integral_value():
                p.flags.append("non_integer")
            return p
    m = re.fullmatch(rf"(\d+)\s*([{_COUNT_UNITS}])", s)
    if m:
        return Parsed(int(m.group(1)), ["unit_stripped"], unit=m.group(2))
    m = _AMOUNT.match(s)
    if m:
        amount = _num(m.group(2))
        if amount is not None:
            if m.group(3) == "万元":
                amount *= 10000
            return Parsed(int(m.group(1)), ["has_amount"], extra={"amount_yuan": _out(amount)})
    return Parsed(None, ["unparsed"])


_CHANGE_NEG = re.compile(r"^(?:减少|减|下降|降低|少)\s*(\d+)\s*[个项件条]?$")
_CHANGE_POS = re.compile(r"^(?:增加|新增|增|上升|多)\s*(\d+)\s*[个项件条]?$")


@ocr_doubt_aware
def parse_change(raw: str | None) -> Parsed:
    """G1 `本年增/减` (§8.3): signed; `减少166` → −166; a lone dash is 0."""
    s = _clean(raw)
    special = _dash_or_blank(s)
    if special:
        return special
    if s in {"持平", "不变", "无变化", "没有变化"}:
        return Parsed(0)
    m = re.fullmatch(rf"([{DASHES}+])\s*(\d+)", s)
    if m:
        n = int(m.group(2))
        return Parsed(n if m.group(1) == "+" else -n)
    m = _CHANGE_NEG.match(s)
    if m:
        return Parsed(-int(m.group(1)))
    m = _CHANGE_POS.match(s)
    if m:
        return Parsed(int(m.group(1)))
    return parse_count(s)


_MONEY = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*(亿元|万元|元)?$")
_FACTOR = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}


@ocr_doubt_aware
def parse_money(raw: str | None, target: str = "元", default_unit: str | None = None) -> Parsed:
    """Money (§8.4) converted to `target` (元 or 万元).

    `default_unit` is the unit a bare number is in (万元 for G2 fees); None means the unit
    is unknown: the number is kept and `extra.unit_source` says `unspecified`.
    """
    s = _clean(raw)
    special = _dash_or_blank(s)
    if special:
        if special.value is not None:
            special.unit, special.extra = target, {"unit_source": "unspecified"}
        return special
    m = _MONEY.match(s)
    if not m:
        return Parsed(None, ["unparsed"])
    amount = _num(m.group(1))
    unit = m.group(2)
    if amount is None:
        return Parsed(None, ["unparsed"])
    if unit is None:
        if default_unit is None:
            return Parsed(_out(amount), [], unit=target, extra={"unit_source": "unspecified"})
        unit_source, unit = "header", default_unit
    else:
        unit_source = unit
    p = Parsed(_out(amount * _FACTOR[unit] / _FACTOR[target]), [], unit=target,
               extra={"unit_source": unit_source})
    if unit != target:
        p.flags.append("unit_converted")
    return p


def is_value_token(raw: str) -> bool:
    """Does a cell hold something the §8 parsers read (number, signed change, money, dash)?"""
    s = _clean((raw or "").replace(OCR_DOUBT, ""))
    if not s:
        return False
    return any(p(s).value is not None for p in (parse_change, parse_money))


def is_unit_token(raw: str) -> bool:
    return nfkc(raw).strip() in {"元", "万元", "亿元", *_COUNT_UNITS}
