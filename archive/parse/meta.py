"""Document-level facts: title, report year (§2.2) and publishing agency (§2.3)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import nfkc

AGENCY_SUFFIX = re.compile(r"(局|委|办|厅|政府|办事处|街道|乡|镇|中心|管委会|室|院|署|所|站|会|委员会|部)$")
_SPACES = re.compile(r"\s+")


def squeeze(s: str) -> str:
    return _SPACES.sub("", nfkc(s))


def _title_core(line: str) -> str:
    s = nfkc(line).strip().lstrip("#•*>- \t")
    s = re.sub(r"^标\s*题\s*[:：]\s*", "", s)
    s = re.sub(r"(?:[(（](?:全文|正文|终稿)[)）]|\.(?:pdf|docx?|wps|html?))$", "", squeeze(s))
    return s


def _looks_like_title(s: str) -> bool:
    return ("报告" in s and ("信息公开" in s or "政务公开" in s) and 8 <= len(s) <= 60
            and not s.startswith(("根据", "按照", "本报告", "依据", "《", "(", "（")) and "。" not in s
            and "》" not in s and "“" not in s and s.endswith("报告"))


@dataclass
class Title:
    text: str | None
    agency_line: str | None = None  # agency on the line above a title that starts with the year


_MAX_TITLE_PARTS = 4          # a PDF title may come as agency / year / 政府信息公开 / 工作年度报告


_TITLE_PIECE = re.compile(r"[\u4e00-\u9fff\d（）()]+")
_DATE_LINE = re.compile(r"\d{4}年\d{1,2}月(\d{1,2}日)?")


def _title_piece(s: str) -> bool:
    """A piece a title may be broken into: agency name, year, or a fragment of the title (not a
    sentence, a date, a letterhead or a document number)."""
    return bool(s) and len(s) <= 30 and bool(_TITLE_PIECE.fullmatch(s)) and not _DATE_LINE.search(s) \
        and not s.endswith("文件")


def find_title(text: str) -> Title:
    """The report title in the first lines; a title broken over up to four short lines (PDF line
    breaking, the year as its own text run) is put back together."""
    lines = [ln for ln in text.split("\n")[:60] if ln.strip()]
    for i, ln in enumerate(lines[:40]):
        core = _title_core(ln)
        if not _looks_like_title(core) and _title_piece(core):
            joined = core
            for j in range(i + 1, min(i + _MAX_TITLE_PARTS, len(lines))):
                part = _title_core(lines[j])
                if not _title_piece(part) and not _looks_like_title(part):
                    break
                if _looks_like_title(part) and re.search(r"\d{4}", part):
                    break  # a whole title of its own: the lines above are not part of it
                joined += part
                if _looks_like_title(joined) and len(joined) <= 60:
                    core = joined
                    break
                if _looks_like_title(part) or len(joined) > 60:
                    break
        if _looks_like_title(core):
            if re.match(r"^\d{4}年", core) and i > 0:
                prev = _title_core(lines[i - 1])
                if AGENCY_SUFFIX.search(prev) and len(prev) <= 30 and not _looks_like_title(prev):
                    return Title(prev + core, prev)
            return Title(core)
    return Title(None)


_TITLE_SEPARATOR = re.compile(r"\s*(?:[_|｜]|\s[-–—]\s|--)\s*")
# Extracted.meta sources, most trustworthy first (report-format.md §2.3)
TITLE_SOURCES = ("meta_title", "block_title", "h1", "pdf_title", "docx_title", "title")
AGENCY_SOURCES = ("block_agency", "meta_source")


def title_from_meta(meta: dict | None) -> str | None:
    """The first document/page title source that reads as a report title (a `<title>` tag's
    ` - site name` tail is cut off)."""
    for key in TITLE_SOURCES:
        value = (meta or {}).get(key)
        if not value:
            continue
        for part in [value, *_TITLE_SEPARATOR.split(value)]:
            core = _title_core(part)
            if _looks_like_title(core):
                return core
    return None


def hints_from_meta(meta: dict | None) -> dict:
    """Parser hints (`title`, `agency`) from an extractor's `Extracted.meta`."""
    hints = {}
    title = title_from_meta(meta)
    if title:
        hints["title"] = title
    for key in AGENCY_SOURCES:
        name = clean_agency((meta or {}).get(key))
        if valid_agency(name):
            hints["agency"] = name
            break
    return hints


_TITLE_YEAR = [
    re.compile(r"(\d{4})年度?(?:的)?(?:政府信息公开|政务公开|信息公开)"),
    re.compile(r"关于(\d{4})年度政府信息公开情况的报告"),
    re.compile(r"^(\d{4})年"),
    re.compile(r"(\d{4})年度?政府信息公开工作"),
]
_PERIOD_YEAR = [
    re.compile(r"统计期限(?:为|是|自)?(\d{4})年1月1日"),
    re.compile(r"数据从(\d{4})年1月1日"),
    re.compile(r"统计时限自(\d{4})年1月1日"),
    re.compile(r"(?:统计|数据)[^。]{0,12}?(\d{4})年1月1日(?:起)?(?:至|到|-)\1年12月31日"),
]
# a spreadsheet's caption: `福州市长乐区应急管理局2020年主动公开政府信息情况`
_CAPTION = re.compile(r"(?:^|\n|[^\w])([\u4e00-\u9fff]{3,30}?)(\d{4})年度?(?:主动公开政府信息情况|收到和处理政府信息公开申请情况)")
_DATE = re.compile(r"(\d{4})[年\-/.](\d{1,2})[月\-/.](\d{1,2})日?")


def _plausible(y: int) -> bool:
    return 2000 <= y <= 2100


def year_from_title(title: str | None) -> int | None:
    if not title:
        return None
    for pat in _TITLE_YEAR:
        m = pat.search(title)
        if m and _plausible(int(m.group(1))):
            return int(m.group(1))
    return None


def find_year(title: str | None, text: str, s1_text: str | None,
              hints: dict | None = None) -> tuple[int | None, str | None]:
    """(year, source) per §2.2; never from 发文字号, 索引号 or the document's dates unless
    everything else fails (then publication/signature date − 1 when it falls in Jan–Apr)."""
    y = year_from_title(title)
    if y:
        return y, "title"
    flat = squeeze(text)
    for pat in _PERIOD_YEAR:
        m = pat.search(flat)
        if m and _plausible(int(m.group(1))):
            return int(m.group(1)), "statistics_period"
    if s1_text:
        m = re.search(r"(\d{4})年[,，]", squeeze(s1_text))
        if m and _plausible(int(m.group(1))):
            return int(m.group(1)), "section1"
    for ln in text.split("\n")[:60]:
        m = _CAPTION.search(squeeze(ln))
        if m and _plausible(int(m.group(2))):
            return int(m.group(2)), "table_caption"
    hints = hints or {}
    y = year_from_title(squeeze(hints.get("title") or ""))
    if y:
        return y, "hint_title"
    dates = [hints.get("published_date"), hints.get("written_date"), _signature_date(text)]
    for d in dates:
        m = _DATE.search(nfkc(d or ""))
        if m and 1 <= int(m.group(2)) <= 4 and _plausible(int(m.group(1)) - 1):
            return int(m.group(1)) - 1, "date_minus_one"
    return None, None


def _signature_date(text: str) -> str | None:
    tail = [ln for ln in text.split("\n") if ln.strip()][-12:]
    for ln in reversed(tail):
        s = squeeze(ln)
        if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日(?:印发)?", s):
            return s
    return None


def clean_agency(name: str | None) -> str | None:
    if not name:
        return None
    s = squeeze(name)
    s = re.sub(r"[(（]盖章[)）]$", "", s)
    s = re.sub(r"文件$", "", s)
    s = s.strip("：:,，。")
    return s or None


def valid_agency(name: str | None) -> bool:
    return bool(name) and 3 <= len(name) <= 40 and bool(AGENCY_SUFFIX.search(name)) \
        and not re.search(r"[A-Za-z]", name)


def _agency_from_title(title: Title, year: int | None) -> str | None:
    if title.agency_line:
        return title.agency_line
    t = title.text or ""
    m = re.match(r"^(\d{4})年度?(.+?)(?:政府信息公开|政务公开)", t)
    if m:
        return m.group(2)
    m = re.match(r"^(.+?)(?:关于)?\d{4}年", t)
    if m:
        return m.group(1)
    m = re.match(r"^(.+?)(?:政府信息公开|政务公开)", t)
    return m.group(1) if m else None


_META = re.compile(r"^(?:发文机关|发布机构|发布单位|来源|信息来源)\s*[:：]\s*(\S+)")


_COMPILER = re.compile(r"由(.{3,30}?)(?:负责)?编制(?:完成)?")


def compiling_office(text: str) -> str | None:
    """`本报告由XX办公室编制…`: the office that compiled the report (for another body)."""
    m = _COMPILER.search(squeeze(text[:3000]))
    return clean_agency(m.group(1)) if m else None


def find_agency(title: Title, text: str, year: int | None,
                hints: dict | None = None) -> tuple[str | None, str | None]:
    """Title first, then the page/document metadata, the letterhead and the signature; the
    office named in `由…编制` only when it is not an office compiling for another body."""
    candidates: list[tuple[str | None, str]] = [(_agency_from_title(title, year), "title")]
    lines = [nfkc(ln).strip().lstrip("#•*>- \t") for ln in text.split("\n")]
    for ln in lines[:40]:
        m = _META.match(re.sub(r"(?<=\S) (?=\S)", "", ln))
        if m:
            candidates.append((m.group(1), "metadata"))
    if hints and hints.get("agency"):
        candidates.append((hints["agency"], "hint"))
    for ln in lines[:15]:
        if squeeze(ln).endswith("文件") and len(squeeze(ln)) <= 30:
            candidates.append((squeeze(ln)[:-2], "letterhead"))
    sig = _signature_agency(text)
    if sig:
        candidates.append((sig, "signature"))
    for ln in lines[:40]:
        cap = _CAPTION.search(squeeze(ln))
        if cap:
            candidates.append((cap.group(1), "table_caption"))
            break
    office = compiling_office(text)
    if office and not office.endswith("办公室"):
        candidates.append((office, "intro"))
    for name, source in candidates:
        name = clean_agency(name)
        if not valid_agency(name):
            continue
        if name == office and name.endswith("办公室") and source in ("signature", "table_caption"):
            continue  # the compiling office signing for the body whose report it is
        return name, source
    return None, None


def _signature_agency(text: str) -> str | None:
    lines = [squeeze(ln) for ln in text.split("\n") if ln.strip()]
    for i in range(len(lines) - 1, max(len(lines) - 15, 0), -1):
        if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", lines[i]) and i > 0:
            return lines[i - 1]
    return None
