"""Family spiders on generated portal variants (issue #13 §5): every report found, none twice,
no false report, metadata right — on a fixed set of portals that draws every variant value.

The set: per family, portal i forces value i (mod count) of every feature the family draws,
so each value appears at least once (`test_the_fixed_set_covers_every_variant` checks it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replica.variants import FAMILY_FEATURES, FEATURES, generate
from replica.variants.server import VariantServer
from tests.crawl_helpers import records_by_type
from tests.variant_helpers import crawl, score

PER_FAMILY = 6


def fixed_set() -> list[Any]:
    portals = []
    spellings = FEATURES["link_spelling"]
    for family in ("trs", "gkmlpt", "jcms", "jpaas"):
        for i in range(PER_FAMILY):
            force = {name: FEATURES[name][i % len(FEATURES[name])] for name in FAMILY_FEATURES[family]
                     if name != "link_spelling"}
            if family == "jpaas":  # one portal whose gateway refuses direct calls (Chromium is slow)
                force["jpaas_gateway"] = "signed" if i == 1 else "open"
            force["link_spelling"] = sorted({spellings[(2 * i) % len(spellings)], spellings[(2 * i + 1) % len(spellings)]})
            portals.append(generate(9100 + i, family, force))
    return portals


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("home")
    portals = fixed_set()
    with VariantServer(portals) as srv:
        manifest = srv.manifest
        # half the portals also get the footholds a site config carries (known report, known column)
        proc = crawl(home, manifest, footholds={p.site_id for i, p in enumerate(portals) if i % 2})
    assert proc.returncode == 0, proc.stderr[-4000:]
    return {"home": home, "manifest": manifest, "scores": {sid: score(home, sid, m) for sid, m in manifest.items()}}


def test_the_fixed_set_covers_every_variant() -> None:
    for family in ("trs", "gkmlpt", "jcms", "jpaas"):
        drawn = [p.features for p in fixed_set() if p.family == family]
        for name in FAMILY_FEATURES[family]:
            used = {v for f in drawn for v in (f[name] if isinstance(f[name], list) else [f[name]])}
            assert used == set(FEATURES[name]), (family, name, set(FEATURES[name]) - used)


def test_every_report_found_once_and_nothing_else(result: dict[str, Any]) -> None:
    bad = {sid: (s["missed"], s["twice"], s["false"]) for sid, s in result["scores"].items()
           if s["missed"] or s["twice"] or s["false"]}
    assert not bad, bad
    assert sum(s["expected"] for s in result["scores"].values()) >= 150


def test_metadata_and_attachments_right(result: dict[str, Any]) -> None:
    wrong = {sid: s["wrong"][:3] for sid, s in result["scores"].items() if s["wrong"]}
    assert not wrong, wrong
    missing = {sid: s["missing_attachments"] for sid, s in result["scores"].items() if s["missing_attachments"]}
    assert not missing, missing
    assert any(a["js_only"] for m in result["manifest"].values() for r in m["reports"] for a in r["attachments"])


def test_moved_entries_are_recovered_and_noted_not_failed(result: dict[str, Any]) -> None:
    moved = [s for s in result["scores"].values() if s["features"]["entry"] != "ok"]
    assert len(moved) >= 12
    for s in moved:
        notes = s["stats"].get("moved") or []
        assert any(n["kind"] == "entry_moved" for n in notes), s["site_id"]
        assert s["stats"].get("entry_found"), s["site_id"]
        assert s["status"] != "failed", (s["site_id"], s["errors"])
    for s in result["scores"].values():
        if s["features"]["entry"] == "ok":
            assert not [n for n in s["stats"].get("moved") or [] if n["kind"] == "entry_moved"], s["site_id"]


def test_footholds_moved_columns_are_noted(result: dict[str, Any]) -> None:
    with_footholds = [s for i, s in enumerate(result["scores"].values()) if i % 2]
    for s in with_footholds:
        notes = [n for n in s["stats"].get("moved") or [] if n["kind"] == "column_moved"]
        assert notes and notes[0]["url"].endswith("/zfxxgk/ndbg_old/"), s["site_id"]


def test_sub_columns_and_empty_columns_are_no_structure_errors(result: dict[str, Any]) -> None:
    for s in result["scores"].values():
        kinds = [k for k, _ in s["errors"]]
        assert "structure" not in kinds, (s["site_id"], s["errors"])
        assert not s["stats"].get("incomplete_columns"), s["site_id"]
    assert any(c["empty"] for m in result["manifest"].values() for c in m["columns"])


def test_documents_beside_reports_are_not_reports(result: dict[str, Any]) -> None:
    docs = {d["title"] for m in result["manifest"].values() for d in m["docs"]}
    assert docs
    titles = {r["title"] for m in result["manifest"] for r in records_by_type(result["home"], m)["report"]}
    assert not docs & titles


def test_jpaas_columns_read_from_the_gateway_chromium_only_when_it_refuses(result: dict[str, Any]) -> None:
    signed = 0
    for sid, m in result["manifest"].items():
        if m["family"] != "jpaas":
            continue
        caps = records_by_type(result["home"], sid)["capture"]
        assert any("jpaas-publish-server" in c["url"] for c in caps), sid
        rendered = [c["url"] for c in caps if c.get("fetched_with") == "browser"]
        if m["features"]["jpaas_gateway"] == "signed":
            signed += 1
            assert rendered and all("/col/col" in u for u in rendered), sid
        else:
            assert not rendered, sid
    assert signed == 1


def test_a_moved_entry_is_remembered_for_the_next_run(result: dict[str, Any], tmp_path: Path) -> None:
    from crawler.session import SiteState
    from archive.store.home import Home

    moved = next(s for s in result["scores"].values() if s["features"]["entry"] != "ok")
    state = SiteState.load(Home(result["home"]), moved["site_id"])
    assert state.entry_found == moved["stats"]["entry_found"]
