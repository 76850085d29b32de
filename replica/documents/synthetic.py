"""Plausible synthetic reports: numbers satisfying R1–R5 (R9 for G0), or breaking exactly one rule.

Numbers are generated first; raw cell text is then written from them in the varied forms real
reports use (`+3`, `减少2`, `—`, full-width digits, `152790元`, `0.35` 万元), and `expected` is the
numbers themselves. The generator cross-checks both against `compute_expected` and `broken_rules`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .expected import compute_expected
from .rules import broken_rules
from .spec import (
    G0_ROWS, S3_COLUMNS, S3_NOTE, S4_GROUPS, S4_RESULTS, ReportSpec, s3_groups, s3_row_keys, template_for_year,
)
from .text_bank import narrative

RULES_BY_TEMPLATE = {"G0": ("R5", "R9"), "G1": ("R1", "R2", "R3", "R4", "R5"), "G2": ("R1", "R2", "R3", "R4", "R5")}
_FULLWIDTH = str.maketrans("0123456789+-.", "０１２３４５６７８９＋－．")


@dataclass
class RawStyle:
    """How one agency writes its cells (chosen once per report, then applied everywhere)."""

    zero: str  # "0", "", "—", "/"
    fullwidth: bool
    unit: str  # "" or "件" on counts (rare)
    minus: str  # "-" or "减少"
    plus: str  # "+" or "增加" or ""

    @classmethod
    def pick(cls, rng: random.Random) -> "RawStyle":
        return cls(zero=rng.choices(["0", "", "—", "/"], [70, 12, 12, 6])[0],
                   fullwidth=rng.random() < 0.1, unit=rng.choices(["", "件"], [92, 8])[0],
                   minus=rng.choice(["-", "-", "减少"]), plus=rng.choice(["+", "", "增加"]))

    def fw(self, s: str) -> str:
        return s.translate(_FULLWIDTH) if self.fullwidth else s

    def count(self, n: int | float) -> str:
        if n == 0:
            return self.zero
        return self.fw(f"{n:g}") + (self.unit if n > 0 and self.unit else "")

    def change(self, n: int) -> str:
        if n == 0:
            return "0"
        return self.fw(f"{self.minus}{-n}" if n < 0 else f"{self.plus}{n}")


def _small(rng: random.Random, busy: float, hi: int) -> int:
    """Mostly zero; sometimes a small count (busier agencies more often)."""
    return rng.randint(1, hi) if rng.random() < busy else 0


def _s2_numbers(rng: random.Random, template: str) -> dict[str, float]:
    v: dict[str, float] = {}
    if template == "G1":
        for row in ("regulations", "normative_docs"):
            made = 0 if row == "regulations" else _small(rng, 0.4, 6)
            v |= {f"{row}.new_made": made, f"{row}.new_published": made,
                  f"{row}.total_published": made + _small(rng, 0.5, 30)}
        for row, hi in (("licensing", 200), ("other_services", 20), ("penalty", 80), ("coercion", 10), ("fees", 5)):
            prev = _small(rng, 0.7, hi)
            change = rng.randint(-prev, max(1, hi // 10)) if rng.random() < 0.5 else 0
            v |= {f"{row}.prev_count": prev, f"{row}.change": change}
            if row != "fees":  # half the agencies write the current count, half that year's decisions (§3.3)
                v[f"{row}.decisions"] = prev + change if rng.random() < 0.5 else _small(rng, 0.8, hi * 3)
        v["procurement.project_count"] = n = _small(rng, 0.6, 30)
        v["procurement.total_amount"] = rng.randint(2_000, 900_000) if n else 0
    else:
        for row in ("regulations", "normative_docs"):
            issued = 0 if row == "regulations" else _small(rng, 0.4, 5)
            repealed = _small(rng, 0.2, 3)
            v |= {f"{row}.issued": issued, f"{row}.repealed": repealed,
                  f"{row}.in_force": issued + _small(rng, 0.6, 40)}
        for row, hi in (("licensing", 3000), ("penalty", 150), ("coercion", 12)):
            v[f"{row}.decisions"] = _small(rng, 0.7, hi)
        v["fees.amount_wan"] = rng.choice([0, 0, 0, 0.35, 1.2, 12.5])
    return v


def _s2_raw(rng: random.Random, style: RawStyle, v: dict[str, float]) -> dict[str, str]:
    raw = {}
    for key, n in v.items():
        col = key.rsplit(".", 1)[1]
        if col == "change":
            raw[key] = style.change(int(n))
        elif col == "total_amount":
            raw[key] = style.count(0) if n == 0 else rng.choice(
                [f"{n}元", f"{n} 元", f"{n / 10_000:.4f}".rstrip("0").rstrip(".") + "万元"])
        elif col == "amount_wan":
            raw[key] = style.count(0) if n == 0 else f"{n:g}"
        else:
            raw[key] = style.count(n)
    return raw


def _s3_numbers(rng: random.Random, template: str) -> dict[str, list[int]]:
    rows = s3_row_keys(template)
    results = [r for r in rows if r not in ("new", "carried_over", "results_total", "carried_forward")]
    busy = rng.choice([0.0, 0.0, 0.05, 0.15, 0.35])
    common = ["granted", "partial", "unable.not_held", "not_processed.duplicate", "denied.third_party", "other.other", "other"]
    table = {r: [0] * 7 for r in rows}
    for c in range(6):
        weight = busy * (1.0 if c == 0 else 0.35)
        for r in results:
            if r in common or rng.random() < 0.15:
                table[r][c] = _small(rng, weight, 12 if c == 0 else 3)
        table["results_total"][c] = sum(table[r][c] for r in results)
        table["carried_forward"][c] = _small(rng, weight / 2, 3)
        table["carried_over"][c] = min(_small(rng, weight / 2, 3), table["results_total"][c] + table["carried_forward"][c])
        table["new"][c] = table["results_total"][c] + table["carried_forward"][c] - table["carried_over"][c]
    for r in rows:
        table[r][6] = sum(table[r][:6])
    return table


def _s4_numbers(rng: random.Random) -> dict[str, int]:
    v = {}
    for g, _ in S4_GROUPS:
        parts = [_small(rng, 0.15, 3) for _ in S4_RESULTS[:-1]]
        v |= {f"{g}.{r}": n for (r, _), n in zip(S4_RESULTS, parts)}
        v[f"{g}.total"] = sum(parts)
    return v


def _g0_numbers(rng: random.Random, year: int) -> dict[str, tuple[int, int]]:
    span = year - 2008 + 1
    docs = rng.randint(20, 400)
    site = docs - _small(rng, 0.3, min(10, docs))
    g: dict[str, tuple[int, int]] = {"proactive_docs": (docs, docs * span), "proactive_docs.website": (site, site * span),
                                     "proactive_docs.gazette": (docs - site, (docs - site) * span)}
    chans = {k: (y, y + _small(rng, 0.6, 20)) for k in ("in_person", "online", "letter_fax")
             for y in [_small(rng, 0.3, 4)]}  # cumulative counts include the report year
    g |= {f"applications.{k}": c for k, c in chans.items()}
    g["applications_total"] = tuple(sum(c[i] for c in chans.values()) for i in (0, 1))  # type: ignore[assignment]
    replies = {k: [0, 0] for k in ("granted", "partial", "denied", "other")}
    year, cumulative = g["applications_total"]
    for n in range(cumulative):  # the first `year` replies count in both columns
        kind = rng.choices(list(replies), [6, 1, 1, 2])[0]
        replies[kind][1] += 1
        replies[kind][0] += n < year
    g |= {f"replies.{k}": (a, b) for k, (a, b) in replies.items()}
    g["replies_total"] = g["applications_total"]
    g |= {k: (0, _small(rng, 0.2, 3)) for k in ("complaints", "admin_review", "admin_litigation")}
    return g


def _violate(rule: str, rng: random.Random, template: str, s2: dict, s3: dict, s4: dict, g0: dict) -> None:
    """Mutate the numbers so that exactly `rule` breaks."""
    d = rng.randint(1, 3)
    if rule in ("R1", "R2"):
        row = "new" if rule == "R1" else "granted"
        c = rng.randrange(6)
        s3[row][c] += d
        s3[row][6] += d
    elif rule == "R3":
        for row in ("granted", "results_total", "new"):
            s3[row][0] += d
    elif rule == "R4":
        s4["review.total"] += d
    elif rule == "R5":
        if template == "G0":
            g0["complaints"] = (-d, g0["complaints"][1])
        else:
            s2["penalty.decisions"] = -d
    elif rule == "R9":
        a, b = g0["applications_total"]
        g0["applications_total"] = (a, b + d)
    else:
        raise ValueError(f"cannot break {rule} in {template}")


def _label_variants(rng: random.Random, template: str) -> dict[str, str]:
    """Printed label variants seen in real reports (report-format.md §3.4, §4.4, §5)."""
    out: dict[str, str] = {}
    groups = s3_groups(template)[2:-1]
    if rng.random() < 0.2:  # `(一) 予以公开`, `1. 属于国家秘密` (seed 001)
        for g in groups:
            out[g.label] = f"({g.label[1]}) {g.label[3:]}"
            out |= {sub: sub.replace(".", ". ", 1) for _, sub in g.subrows}
    elif rng.random() < 0.15:  # `1、属于国家秘密`
        out |= {sub: sub.replace(".", "、", 1) for g in groups for _, sub in g.subrows}
    if rng.random() < 0.1:
        out[S3_NOTE] = S3_NOTE[1:-1].replace("：", ":")
    if rng.random() < 0.1:
        out["3.危及“三安全一稳定”"] = out.get("3.危及“三安全一稳定”", "3.危及“三安全一稳定”").replace("“", '"').replace("”", '"')
    if rng.random() < 0.1:
        out |= {f"s4.litigation:{label}": " ".join(label) for _, label in S4_RESULTS}
    if template == "G1" and rng.random() < 0.15:
        out |= rng.choice([{"对外公开总数量": "对外公开总数"},
                           {"本年新制作数量": "本年新\n制作数量", "本年新公开数量": "本年新\n公开数量"}])
    if template == "G2" and rng.random() < 0.15:
        out |= rng.choice([{"行政规范性文件": "规范性文件"},
                           {"本年制发件数": "本年新制发数量", "本年废止件数": "废止数量", "现行有效件数": "现行有效数量"},
                           {"现行有效件数": "现行有效件"}])
    return out


def _title(rng: random.Random, agency: str, year: int) -> str:
    return rng.choice([f"{agency}{year}年政府信息公开工作年度报告", f"{agency}{year}年度政府信息公开工作年度报告",
                       f"{agency}关于{year}年度政府信息公开工作的年度报告"])


def synthetic_spec(agency: str, year: int, rng: random.Random | int, template: str | None = None,
                   consistent: bool = True, violate: str | None = None) -> ReportSpec:
    """A synthetic report. `consistent=False` breaks one rule (`violate`, else one drawn by rng)."""
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    template = template or template_for_year(year)
    style = RawStyle.pick(rng)
    s2n = _s2_numbers(rng, template) if template != "G0" else {}
    s3n = _s3_numbers(rng, template) if template != "G0" else {}
    s4n = _s4_numbers(rng) if template != "G0" else {}
    g0n = _g0_numbers(rng, year) if template == "G0" else {}
    violations: list[str] = []
    if not consistent or violate:
        rule = violate or rng.choice(RULES_BY_TEMPLATE[template])
        _violate(rule, rng, template, s2n, s3n, s4n, g0n)
        violations = [rule]
    spec = ReportSpec(agency=agency, year=year, template=template, title=_title(rng, agency, year),
                      signature_date=f"{year + 1}-01-{rng.randint(5, 28):02d}", violations=violations)
    if rng.random() < 0.5:
        spec.doc_no = f"{agency[:2]}{rng.choice(['政办', '办函', '综', '函'])}〔{year + 1}〕{rng.randint(1, 30)}号"
    if rng.random() < 0.2:
        spec.letterhead = f"{agency}文件"
    if template != "G0":
        spec.label_overrides = _label_variants(rng, template)
    spec.s2 = _s2_raw(rng, style, s2n)
    spec.s3 = {r: [style.count(n) for n in cells] for r, cells in s3n.items()}
    spec.s4 = {k: style.count(n) for k, n in s4n.items()}
    if template == "G0":
        spec.g0 = [(k, label, "", style.count(g0n[k][0]) or "0", style.count(g0n[k][1]) or "0") for k, label in G0_ROWS]
    for section, paras in narrative(rng, spec, s3n, g0n).items():
        setattr(spec, section, paras)
    spec.expected = _expected(s2n, s3n, s4n, g0n)
    _self_check(spec)
    return spec


def _expected(s2n: dict, s3n: dict, s4n: dict, g0n: dict) -> dict[str, float]:
    out: dict[str, float] = {f"s2.{k}": v for k, v in s2n.items()}
    out |= {f"s3.{r}.{c}": n for r, cells in s3n.items() for c, n in zip(S3_COLUMNS, cells)}
    out |= {f"s4.{k}": n for k, n in s4n.items()}
    out |= {f"g0.{k}.{col}": pair[i] for k, pair in g0n.items() for i, col in enumerate(("year", "cumulative"))}
    return out


def _self_check(spec: ReportSpec) -> None:
    parsed = compute_expected(spec)
    if parsed != spec.expected:
        diff = {k: (spec.expected.get(k), parsed.get(k)) for k in set(parsed) | set(spec.expected)
                if parsed.get(k) != spec.expected.get(k)}
        raise AssertionError(f"raw forms do not normalise to the numbers: {diff}")
    broken = broken_rules(spec.expected, spec.template)
    if broken != set(spec.violations):
        raise AssertionError(f"rules broken {broken}, intended {spec.violations}")
