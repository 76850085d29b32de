"""Document factory: report specs (seeds and synthetic) rendered in every format portals publish.

See README.md in this directory. Public API:

- `ReportSpec`, `template_for_year`            (spec)
- `seed_specs()`, `seed_spec(name)`            (the five real seed reports)
- `synthetic_spec(agency, year, rng, template=None, consistent=True, violate=None)`
- `render_html_body(spec)`, `render_page_html(spec)`, `render_page_gbk(spec)`
- `render_docx(spec)`, `render_xlsx(spec)`
- `render_attachment(spec, fmt)`, `prepare_attachments([(spec, fmt), …])`, `pool_spec(template, i)`,
  `FORMATS`, `MIME`
- `broken_rules(expected, template)`, `compute_expected(spec)`
"""
from .attachments import FORMATS, MIME, POOL_SIZE, pool_spec, prepare_attachments, render_attachment
from .expected import compute_expected
from .render_docx import render_docx
from .render_html import render_html_body, render_page_gbk, render_page_html
from .render_xlsx import render_xlsx
from .rules import broken_rules
from .seeds import seed_spec, seed_specs
from .spec import ReportSpec, template_for_year
from .synthetic import synthetic_spec

__all__ = [
    "FORMATS", "MIME", "POOL_SIZE", "ReportSpec", "broken_rules", "compute_expected", "pool_spec",
    "prepare_attachments", "render_attachment", "render_docx", "render_html_body", "render_page_gbk",
    "render_page_html", "render_xlsx", "seed_spec", "seed_specs", "synthetic_spec", "template_for_year",
]
