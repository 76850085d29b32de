"""Section 二 主动公开政府信息情况 (report-format.md §3): G1 (22 values) or G2 (10 values)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .keys import S2_ARTICLE, S2_COLUMNS, S2_G1_SIGNS, S2_G2_SIGNS, S2_ROW_LABEL, S2_ROWS
from .layout import BLANK, LABEL, Cell, Row, fit
from .normalize import Parsed, norm_label, parse_change, parse_count, parse_money
from .result import DisclosureItem

_ARTICLE = re.compile(r"第二十条\s*第?\s*\(([一二三四五六七八九十]+)\)\s*项?")
_CN = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8",
       "九": "9", "十": "10"}
_ROW_PATTERNS = [
    ("normative_docs", ("规范性文件", "规范性档案", "行政规范性")),
    ("other_proactive_docs", ("其他主动公开文件",)),
    ("regulations", ("规章",)),
    ("other_services", ("其他对外管理服务", "对外管理服务事项")),
    ("licensing", ("行政许可",)),
    ("penalty", ("行政处罚",)),
    ("coercion", ("行政强制",)),
    ("fees", ("行政事业性收费", "事业性收费")),
    ("procurement", ("政府集中采购", "集中采购")),
]


@dataclass
class S2Result:
    template: str | None = None
    items: list[DisclosureItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    found_rows: list[str] = field(default_factory=list)
    extra_lines: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        expected = set(S2_ROWS.get(self.template or "", []))
        bad = any(i.value is None for i in self.items)
        return bool(self.items) and expected <= set(self.found_rows) and not bad


def row_key(label: str) -> str | None:
    s = re.sub(r"\([^)]*\)", "", norm_label(label))
    s = re.sub(r"^[\d一二三四五六七八九十]+[.、]", "", s)
    s = re.sub(r"\d+$", "", s)
    for key, pats in _ROW_PATTERNS:
        if any(s.startswith(p) or (len(s) <= len(p) + 4 and p in s) for p in pats):
            return key
    return None


def detect_template(rows: list[Row]) -> str | None:
    labels = "|".join(norm_label(c.raw) for r in rows for c in r.labels)
    if any(s in labels for s in S2_G2_SIGNS):
        return "G2"
    if any(s in labels for s in S2_G1_SIGNS):
        return "G1"
    keys = {row_key(c.raw) for r in rows for c in r.labels}
    if keys & {"procurement", "other_services"}:
        return "G1"
    for r in rows:
        if any(row_key(c.raw) == "licensing" for c in r.labels):
            n = sum(1 for c in r.region() if c.kind != LABEL)
            return "G1" if n >= 3 else "G2" if n == 1 else None
    return None


def _parse(col_key: str, raw: str) -> Parsed:
    if col_key == "change":
        return parse_change(raw)
    if col_key == "total_amount":
        return parse_money(raw, "元", None)
    if col_key == "amount_wan":
        return parse_money(raw, "万元", "万元")
    return parse_count(raw)


def _concat_cells(label: str, k: int, res: S2Result, key: str) -> list[Cell] | None:
    """`行政许可000`: digits glued to the label (川主乡 2019)."""
    m = re.search(r"(\d+)$", norm_label(label))
    if not m:
        return None
    digits = m.group(1)
    if len(digits) == k:
        return [Cell(d, "value") for d in digits]
    res.notes.append(f"s2.{key}: values glued to the label ({label.strip()!r}) cannot be split")
    return [Cell(digits, "concat")] + [Cell("", "concat")] * (k - 1)


def parse_s2(rows: list[Row], template_hint: str | None = None) -> S2Result:
    res = S2Result(template=detect_template(rows) or template_hint)
    if not res.template or res.template not in S2_COLUMNS:
        if any("第二十条" in norm_label(c.raw) for r in rows for c in r.labels):
            res.notes.append("s2: table generation not recognised")
        return res
    tpl = res.template
    article: str | None = None
    header: list[str] = []
    for row in rows:
        cells = row.cells
        i, used = 0, False
        while i < len(cells):
            c = cells[i]
            n = norm_label(c.raw) if c.kind == LABEL else ""
            key = row_key(c.raw) if c.kind == LABEL else None
            if c.kind != LABEL:
                j = i
                while j < len(cells) and cells[j].kind != LABEL:
                    j += 1
                run = cells[i:j]
                pos_key = _next_in_article(res, tpl, article)
                if pos_key and any(x.kind == "value" for x in run):
                    _row(res, tpl, article, header, pos_key, "", run, row.blanks, positional=True)
                    used = True
                i = j
                continue
            m = _ARTICLE.search(n)
            if m:
                article = f"20.{_CN.get(m.group(1), m.group(1))}"
            elif n.startswith("信息内容"):
                header = []
                for x in cells[i + 1:]:
                    if x.kind != LABEL or row_key(x.raw) or _ARTICLE.search(norm_label(x.raw)):
                        break
                    header.append(norm_label(x.raw))
            elif key:
                j = i + 1
                while j < len(cells) and cells[j].kind != LABEL:
                    j += 1
                _row(res, tpl, article, header, key, c.raw, cells[i + 1:j], row.blanks)
                used = True
                i = j
                continue
            i += 1
        if not used:
            _extra_line(row, res)
    missing = [r for r in S2_ROWS[tpl] if r not in res.found_rows]
    if missing and res.found_rows:
        res.notes.append(f"s2: rows not found: {', '.join(missing)}")
    return res


def _next_in_article(res: S2Result, tpl: str, article: str | None) -> str | None:
    """Unlabelled value row: the next row of the current 第二十条 block not yet found."""
    if not article:
        return None
    for key in S2_ROWS[tpl]:
        if S2_ARTICLE[key] == article and key not in res.found_rows:
            return key
    return None


def _row(res: S2Result, tpl: str, article: str | None, header: list[str], key: str,
         label: str, region: list[Cell], blanks: str, positional: bool = False) -> None:
    if key in res.found_rows:
        res.notes.append(f"s2.{key}: repeated row ignored")
        return
    cols = S2_COLUMNS[tpl].get(key)
    if cols is None:
        res.notes.append(f"s2.{key}: row not part of {tpl}; ignored")
        return
    k = len(cols)
    flags_all: list[str] = []
    if not any(c.kind != BLANK for c in region) and not (blanks != "none" and region):
        glued = _concat_cells(label, k, res, key)
        if glued:
            region, flags_all = glued, ["ambiguous_concat"]
    vals = region if flags_all else fit(region, k, blanks, pad=True)
    if len(vals) > k:
        extra = [c.raw.strip() for c in vals[k:] if c.kind != BLANK]
        if any(x != vals[k - 1].raw.strip() for x in extra):
            res.notes.append(f"s2.{key}: extra cells ignored: {extra}")
        vals = vals[:k]
    res.found_rows.append(key)
    if positional:
        flags_all.append("positional")
        res.notes.append(f"s2.{key}: row label missing; placed by position in article {article}")
    for pos, (col_key, official) in enumerate(cols):
        col_label = header[pos] if pos < len(header) and header[pos] else official
        res.items.append(_item(tpl, article, key, label, col_key, col_label,
                               vals[pos] if pos < len(vals) else None, list(flags_all)))


def _item(tpl: str, article: str | None, key: str, row_label: str, col_key: str, col_label: str,
          cell: Cell | None, flags: list[str]) -> DisclosureItem:
    art = S2_ARTICLE[key]
    if article and article != art:
        flags.append("article_mismatch")
    item = DisclosureItem(article=art, row_key=key, row_label=row_label.strip() or S2_ROW_LABEL[key],
                          col_key=col_key, col_label=col_label, raw=None, value=None,
                          flags=flags, template=tpl)
    if cell is None:
        item.flags.append("missing")
        return item
    item.raw = cell.raw.strip()
    if cell.kind == "concat":
        item.flags.append("unparsed")
        return item
    p = _parse(col_key, cell.raw)
    item.flags.extend(f for f in p.flags if f not in item.flags)
    item.unit, item.extra = p.unit, dict(p.extra)
    item.unit_source = p.extra.get("unit_source")
    if p.blank:
        item.value = 0
        if col_key in ("total_amount", "amount_wan"):
            item.unit = "元" if col_key == "total_amount" else "万元"
    else:
        item.value = p.value
    return item


def _extra_line(row: Row, res: S2Result) -> None:
    """Jilin variant: `…政府信息公开发布总数量(非新闻类、消息类):0` after the table."""
    for c in row.cells:
        n = norm_label(c.raw)
        m = re.search(r"发布总数量.*?[:：]?(\d+)$", n)
        if m and "总数量" in n:
            res.extra_lines["s2.extra.published_total"] = int(m.group(1))
