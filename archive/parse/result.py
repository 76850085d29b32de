"""Result objects of the parser and their JSON form (spec/archive.md `xxgk parse --json`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class DisclosureItem:  # section 二
    article: str
    row_key: str
    row_label: str
    col_key: str
    col_label: str
    raw: str | None
    value: int | float | None
    unit: str | None = None
    flags: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    template: str | None = None
    unit_source: str | None = None  # money cells: the unit written in the cell, `header` or `unspecified`

    @property
    def key(self) -> str:
        return f"s2.{self.row_key}.{self.col_key}"


@dataclass
class ApplicationCount:  # section 三
    row_key: str
    row_label: str
    applicant: str
    raw: str | None
    value: int | float | None
    flags: list[str] = field(default_factory=list)
    template: str | None = None

    @property
    def key(self) -> str:
        return f"s3.{self.row_key}.{self.applicant}"


@dataclass
class ReviewLitigationCount:  # section 四
    group_key: str
    result_key: str
    raw: str | None
    value: int | float | None
    flags: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"s4.{self.group_key}.{self.result_key}"


@dataclass
class LegacyIndicator:  # G0 附表
    key: str
    label: str
    unit: str | None
    year_value: int | float | None
    cumulative_value: int | float | None
    raw: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class Check:
    rule: str
    ok: bool
    severity: str
    detail: str


@dataclass
class ReportResult:
    title: str | None = None
    agency: str | None = None
    report_year: int | None = None
    template: str = "unknown"
    templates: dict[str, str] = field(default_factory=dict)
    sections: dict[str, dict] = field(default_factory=dict)
    disclosure_items: list[DisclosureItem] = field(default_factory=list)
    application_counts: list[ApplicationCount] = field(default_factory=list)
    review_litigation_counts: list[ReviewLitigationCount] = field(default_factory=list)
    legacy_indicators: list[LegacyIndicator] = field(default_factory=list)
    consistency_checks: list[Check] = field(default_factory=list)
    parse_status: str = "failed"
    parse_notes: list[str] = field(default_factory=list)
    year_source: str | None = None
    agency_source: str | None = None
    extra: dict = field(default_factory=dict)

    def cells(self) -> dict[str, object]:
        """Canonical key → value of every cell (handy for tests and summaries)."""
        out: dict[str, object] = {}
        for c in [*self.disclosure_items, *self.application_counts, *self.review_litigation_counts]:
            out[c.key] = c.value
        for li in self.legacy_indicators:
            out[f"{li.key}.year"] = li.year_value
            out[f"{li.key}.cumulative"] = li.cumulative_value
        return out

    def note(self, msg: str) -> None:
        if msg not in self.parse_notes:
            self.parse_notes.append(msg)

    def to_json(self) -> dict:
        def rows(items: list) -> list[dict]:
            out = []
            for it in items:
                d = asdict(it)
                if hasattr(it, "key"):
                    d["key"] = it.key
                out.append(d)
            return out

        return {
            "title": self.title, "agency": self.agency, "report_year": self.report_year,
            "template": self.template, "templates": dict(self.templates),
            "sections": {k: dict(v) for k, v in self.sections.items()},
            "disclosure_items": rows(self.disclosure_items),
            "application_counts": rows(self.application_counts),
            "review_litigation_counts": rows(self.review_litigation_counts),
            "legacy_indicators": rows(self.legacy_indicators),
            "consistency_checks": rows(self.consistency_checks),
            "parse_status": self.parse_status, "parse_notes": list(self.parse_notes),
            "year_source": self.year_source, "agency_source": self.agency_source,
            "extra": dict(self.extra),
        }
