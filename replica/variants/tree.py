"""The portal's column tree, family-agnostic: entry page -> 年度报告 columns / 部门 trees -> reports.

Families give every node a path (`Builder.place`) and render its pages; this module only
decides what hangs where from the drawn features (organisation, empty columns, decoys, a
report listed in two columns).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from replica.variants.draw import UNIT_TYPE_SLUGS, Content
from replica.variants.model import VDoc, VReport

ANNUAL_SLUGS = ["ndbg", "zfxxgknb", "xxgkndbg", "gkndbg", "zfxxgkndbg", "zfxxgkgzndbg"]


@dataclass
class Col:
    name: str
    kind: str        # entry | annual | year | unittype | unitpage | nav | unit_annual | guide
    slug: str
    children: list["Col"] = field(default_factory=list)
    reports: list[VReport] = field(default_factory=list)
    docs: list[VDoc] = field(default_factory=list)
    empty: str | None = None      # 暂无信息 / 暂无数据 / empty_list when the column lists nothing
    agency: str | None = None
    path: str = ""
    ident: int = 0                # JCMS column id / gkmlpt category id
    parent: "Col | None" = None

    def add(self, child: "Col") -> "Col":
        child.parent = self
        self.children.append(child)
        return child

    def walk(self) -> list["Col"]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out

    @property
    def is_report_column(self) -> bool:
        return self.kind in ("annual", "year", "unittype", "unit_annual")


def build_tree(content: Content, units: list[dict[str, Any]] | None = None) -> Col:
    """The entry node with everything below it, for the given units (default: all)."""
    f, rng = content.features, content.rng
    units = content.units if units is None else units
    entry = Col("政府信息公开", "entry", "")
    org = f["organisation"]
    annual_name = f["annual_name"]
    annual_slug = rng.choice(ANNUAL_SLUGS)
    empty = f.get("empty_column", "none")
    empty = None if empty == "none" else empty
    reports = [r for r in content.reports if r.layout["unit"] in units]
    types = {"dept": rng.choice(UNIT_TYPES_DEPT), "town": rng.choice(UNIT_TYPES_TOWN)}
    leaves: list[Col] = []

    if org in ("flat", "years", "years_units"):
        annual = entry.add(Col(annual_name, "annual", annual_slug))
        if org == "flat":
            annual.reports = list(reports)
            leaves.append(annual)
            if empty:
                annual.add(Col(f["year_name"].format(y=2018), "year", f.get("year_slug", "{y}n").format(y=2018),
                               empty=empty))
        else:
            years = sorted({r.year for r in reports}, reverse=True) + ([2018] if empty else [])
            for y in years:
                ycol = annual.add(Col(f["year_name"].format(y=y), "year", f.get("year_slug", "{y}n").format(y=y)))
                yrs = [r for r in reports if r.year == y]
                if org == "years":
                    ycol.reports = yrs
                    ycol.empty = empty if not yrs else None
                    leaves.append(ycol)
                    continue
                for kind in ("dept", "town"):
                    name = types[kind]
                    tr = [r for r in yrs if r.layout["unit"]["kind"] == kind]
                    if tr or (not yrs and kind == "dept"):
                        tcol = ycol.add(Col(name, "unittype", UNIT_TYPE_SLUGS[name], reports=tr,
                                            empty=empty if not tr else None))
                        leaves.append(tcol)
    else:
        nav = entry.add(Col("部门信息公开", "nav", "bmxxgk"))
        extra = [{"name": content.region + "档案馆", "slug": "dag", "kind": "dept", "years": []}] if empty else []
        for unit in list(units) + extra:
            parent = nav
            if org == "per_unit_deep":
                tname = types[unit["kind"]]
                parent = next((c for c in nav.children if c.name == tname), None) or \
                    nav.add(Col(tname, "nav", UNIT_TYPE_SLUGS[tname]))
            upage = parent.add(Col(unit["name"], "unitpage", unit["slug"], agency=unit["name"]))
            upage.add(Col("政府信息公开指南", "guide", "zfxxgkzn", agency=unit["name"]))
            holder = upage
            if org == "per_unit_deep":
                holder = upage.add(Col("法定主动公开内容", "nav", "fdzdgknr", agency=unit["name"]))
            ucol = holder.add(Col(rng.choice([annual_name, "年度报告", "政府信息公开年报"]), "unit_annual",
                                  rng.choice(ANNUAL_SLUGS), agency=unit["name"]))
            ucol.reports = [r for r in reports if r.layout["unit"] is unit]
            if not ucol.reports:
                ucol.empty = empty or "暂无信息"
            leaves.append(ucol)

    # a report listed in two columns (each under its own URL)
    if f.get("dual_listing") and reports:
        if org in ("per_unit", "per_unit_deep"):
            agg = entry.add(Col(annual_name, "annual", "zfxxgkndbg" if annual_slug != "zfxxgkndbg" else "ndbg"))
            agg.reports = sorted(reports, key=lambda r: r.published, reverse=True)[:3]
        else:
            target = leaves[-1] if leaves else entry.children[0]
            host = entry.children[0] if target is not entry.children[0] else None
            if host is None:
                host = target.add(Col(content.units[0]["name"], "year", content.units[0]["slug"]))
            first = next((r for r in reports if r not in host.reports), reports[0])
            host.reports = [*host.reports, first]
    # documents that are not reports: in a report column, and a 指南 column at the entry
    if content.docs:
        leaf = next((c for c in leaves if c.reports), leaves[0] if leaves else None)
        if leaf is not None:
            leaf.docs = [content.docs[0]]
        guide = entry.add(Col("政府信息公开指南", "guide", "zfxxgkzn"))
        guide.docs = content.docs[1:]
    return entry


UNIT_TYPES_DEPT = ["区直部门", "市直部门", "市政府各部门", "部门"]
UNIT_TYPES_TOWN = ["乡镇（街道）", "镇街"]
