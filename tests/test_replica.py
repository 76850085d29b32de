"""Replica portals: fetch real URLs with a plain HTTP client and check the platform shapes."""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import math
import re
import time
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from replica.server import ReplicaServer


class Reply:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def text(self, charset: str = "utf-8") -> str:
        return self.body.decode(charset)


def fetch(url: str, method: str = "GET", data: dict | None = None, headers: dict | None = None) -> Reply:
    """One request, redirects not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    body = urlencode(data).encode() if data is not None else None
    hdrs = dict(headers or {})
    if body is not None:
        hdrs["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    out = Reply(resp.status, resp.headers, resp.read())
    conn.close()
    return out


@pytest.fixture(scope="module")
def srv():
    with ReplicaServer() as s:
        yield s


def reports_of(srv: ReplicaServer, site: str) -> list[dict]:
    return srv.manifest[site]["reports"]


def find(srv: ReplicaServer, site: str, agency: str, year: int) -> dict:
    return next(r for r in reports_of(srv, site) if r["agency"] == agency and r["year"] == year)


TLINK = re.compile(r'href="([^"]*?/t\d{8}_\d+\.htm)"')


# ----------------------------------------------------------------------------- all sites


def test_robots_variants(srv):
    b = srv.base_urls
    assert fetch(b["fuzhou"] + "/robots.txt").text() == "User-agent: *\nAllow: /\n"
    assert fetch(b["changle"] + "/robots.txt").status == 404
    jj = fetch(b["jinjiang"] + "/robots.txt")
    assert jj.status == 200 and "Disallow: /xxgk/zjxx/" in jj.text()
    # no report lives under a disallowed path
    for site, rule in (("jinjiang", "/xxgk/zjxx/"), ("haiyan", "/module/search/")):
        assert not any(urlsplit(r["url"]).path.startswith(rule) for r in reports_of(srv, site))


def test_manifest_matches_what_is_served(srv):
    for site, m in srv.manifest.items():
        assert fetch(m["entry_url"]).status == 200
        assert len(m["reports"]) >= 40
        for r in m["reports"]:
            page = fetch(r["url"])
            assert page.status == 200, r["url"]
            assert r["title"] in page.text(r["charset"]), r["url"]
            for alt in r["alt_urls"]:
                assert r["title"] in fetch(alt).text(r["charset"])
            for a in r["attachments"]:
                got = fetch(a["url"])
                if got.status == 302:
                    got = fetch(urljoin(a["url"], got.headers["Location"]))
                assert got.status == 200
                assert hashlib.sha256(got.body).hexdigest() == a["sha256"] and len(got.body) == a["size"]
                assert got.headers["Content-Type"].split(";")[0] == a["mime"]


def test_seed_reports_are_placed_on_their_portals(srv):
    seeds = {r["seed"]: (site, r) for site, m in srv.manifest.items() for r in m["reports"] if r["seed"]}
    assert {s for s, _ in seeds.values()} == {"fuzhou", "changle", "jinjiang", "chaoyang", "haiyan"}
    site, r = seeds["002_ac214f3d55844a5d.txt"]
    assert (r["index_no"], r["doc_no"], r["published_date"]) == ("FZ00503-3000-2019-00004", "榕应急函〔2019〕4号", "2019-01-16")
    assert "/zgfzzt/sajj/zfxxgkzl/ndbg/201901/t20190116_" in r["url"]


def test_conditional_get_with_validators(srv):
    r = find(srv, "fuzhou", "福州市应急管理局", 2020)
    first = fetch(r["url"])
    etag, lm = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and lm
    assert fetch(r["url"], headers={"If-None-Match": etag}).status == 304
    assert fetch(r["url"], headers={"If-Modified-Since": lm}).status == 304
    assert fetch(r["url"], headers={"If-None-Match": '"other"', "If-Modified-Since": lm}).status == 200
    assert fetch(r["url"], headers={"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"}).status == 200
    att = r["attachments"] or find(srv, "fuzhou", "福州市应急管理局", 2018)["attachments"]
    got = fetch(att[0]["url"])
    assert fetch(att[0]["url"], headers={"If-None-Match": got.headers["ETag"]}).status == 304


# ----------------------------------------------------------------------------- TRS


def column_pages(first_url: str, charset: str = "utf-8") -> list[str]:
    """Follow `createPageHTML(count, cur, "index", "htm")` as a spider would."""
    html = fetch(first_url).text(charset)
    count, cur = map(int, re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"index",\s*"htm"\)', html).groups())
    assert cur == 0
    return [urljoin(first_url, "index.htm" if k == 0 else f"index_{k}.htm") for k in range(count)]


def test_trs_column_pagination_lists_every_report(srv):
    m = srv.manifest["fuzhou"]
    col = next(c for c in m["columns"] if c["agency"] == "福州市应急管理局" and c["kind"] == "annual")
    assert col["name"] == "年度报告" and col["url"].endswith("/zgfzzt/sajj/zfxxgkzl/ndbg/")
    pages = column_pages(col["url"])
    assert len(pages) == col["pages"] >= 2
    seen = []
    for p in pages:
        html = fetch(p).text()
        links = TLINK.findall(html)
        assert links and all(link.startswith("./") for link in links)
        seen += [urljoin(p, link) for link in links]
    expected = [r["url"] for r in m["reports"] if r["column_url"] == col["url"]]
    assert sorted(seen) == sorted(expected)
    assert fetch(urljoin(col["url"], f"index_{len(pages)}.htm")).status == 404
    assert fetch(col["url"].rstrip("/")).status == 301


def test_trs_navigation_by_column_name(srv):
    base = srv.base_urls["jinjiang"]
    entry = fetch(base + "/xxgk/zfxxgkzl/").text("gbk")
    unit = urljoin(base + "/xxgk/zfxxgkzl/", re.search(r'href="([^"]+)"[^>]*>晋江市应急管理局<', entry).group(1))
    page = fetch(unit).text("gbk")
    assert "政府信息公开指南" in page and "政府信息公开目录" in page
    col = re.search(r'href="([^"]+)">政府信息公开工作年度报告<', page).group(1)
    assert fetch(urljoin(unit, col)).status == 200


def test_trs_detail_shape_and_js_only_attachments(srv):
    r = next(r for r in reports_of(srv, "changle") if len(r["attachments"]) == 2 and r["attachments"][0]["js_only"])
    html = fetch(r["url"]).text()
    assert '<meta name="ArticleTitle"' in html and 'class="TRS_Editor"' in html
    assert "索&nbsp;引&nbsp;号" in html and "标&nbsp;&nbsp;&nbsp;&nbsp;题" in html
    for a in r["attachments"]:
        name = a["url"].rsplit("/", 1)[1]
        assert re.fullmatch(r"P0\d{8}\d{12}\.(doc|xls)", name)
        script = re.search(r"var rel_appendix = '(.*?)';", html).group(1)
        assert f'href="./{name}"' in script
        outside = html.replace(script, "")
        assert name not in outside  # only inside the JS variable
    fz = find(srv, "fuzhou", "福州市应急管理局", 2018)
    assert "索\u3000引\u3000号" in fetch(fz["url"]).text()


def test_gbk_page_without_header_charset(srv):
    r = find(srv, "jinjiang", "晋江市应急管理局", 2020)
    got = fetch(r["url"])
    assert got.headers["Content-Type"] == "text/html"
    assert b"charset=gb2312" in got.body
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")
    assert r["title"] in got.body.decode("gbk") and r["charset"] == "gbk"


def test_fuzhou_report_outside_column_and_aggregation(srv):
    out = [r for r in reports_of(srv, "fuzhou") if not r["in_column"]]
    assert len(out) == 1 and "/gkml/yzdgkdqtxx/" in out[0]["url"]
    listing = fetch(out[0]["column_url"]).text()
    assert urlsplit(out[0]["url"]).path.rsplit("/", 2)[-2] in listing
    dup = find(srv, "fuzhou", "福州市应急管理局", 2022)
    assert dup["url"].endswith("/zgfzzt/sajj/zfxxgkzl/ndbg/202301/t20230114_4522367.htm")
    assert dup["alt_urls"] == [dup["url"].split("/zgfzzt/")[0] + "/zfxxgkzl/ndbg/202301/t20230114_4522367.htm"]
    entry = fetch(srv.manifest["fuzhou"]["entry_url"]).text()
    assert "政府信息公开年度报告" in entry


# ----------------------------------------------------------------------------- gkmlpt


def api(srv, unit: str, cat: int, page, sid) -> Reply:
    return fetch(f"{srv.base_urls['chaoyang']}/{unit}/gkmlpt/api/all/{cat}?page={page}&sid={sid}")


def unit_config(srv, unit: str) -> tuple[str, int]:
    html = fetch(f"{srv.base_urls['chaoyang']}/{unit}/gkmlpt/index").text()
    sid = re.search(r"SID: '(\d+)'", html).group(1)
    tree = json.loads(re.search(r"TREE: (\[.*\]) ,\s*SERVICE_AREA_ID", html, re.S).group(1))
    stack, leaf = list(tree), None
    while stack:
        node = stack.pop()
        if node["name"] == "政府信息公开年报":
            leaf = node["id"]
        stack.extend(node.get("children", []))
    return sid, leaf


def test_gkmlpt_api_paging(srv):
    m = srv.manifest["chaoyang"]
    for unit, end_status in (("stcyyjglj", 404), ("stcytjj", 200)):
        sid, cat = unit_config(srv, unit)
        assert json.loads(api(srv, unit, cat, 0, sid).body) == json.loads(api(srv, unit, cat, 1, sid).body)
        first = json.loads(api(srv, unit, cat, 1, sid).body)
        total = first["total"]
        assert first["classify"]["post_count"] == total and len(first["articles"]) == 5
        urls, page = [], 1
        for page in range(1, math.ceil(total / 5) + 1):
            arts = json.loads(api(srv, unit, cat, page, sid).body)["articles"]
            assert arts and all(isinstance(a["date"], int) for a in arts)
            urls += [a["url"] for a in arts]
        past = api(srv, unit, cat, page + 1, sid)
        assert past.status == end_status
        if end_status == 200:
            assert json.loads(past.body)["articles"] == []
        agency = first["articles"][0]["publisher"]
        assert sorted(urls) == sorted(r["url"] for r in m["reports"] if r["agency"] == agency)
        wrong = json.loads(api(srv, unit, cat, 1, "1").body)
        assert wrong["total"] == 0 and wrong["articles"] == []
    assert api(srv, "stcytjj", 99999, 1, sid).status == 404


def test_gkmlpt_detail_page(srv):
    r = find(srv, "chaoyang", "汕头市潮阳区应急管理局", 2020)
    pid = int(re.search(r"post_(\d+)\.html$", r["url"]).group(1))
    assert f"/stcyyjglj/gkmlpt/content/{pid // 1_000_000}/{pid // 1000}/post_{pid}.html" in r["url"]
    html = fetch(r["url"]).text()
    for label in ("索引号", "分类", "发布机构", "成文日期", "名称", "文号", "发布日期", "主题词"):
        assert f">{label}：<" in html
    detail = json.loads(re.search(r"DETAIL:\s*({.*?})\s*,\s*TREE:", html, re.S).group(1))
    assert detail["id"] == pid and "<p" in detail["content"]
    att = r["attachments"][0]
    assert f'class="nfw-cms-attachment" href="{urlsplit(att["url"]).path}"' in html
    assert re.search(rf"/stcyyjglj/attachment/\d+/\d+/\d+/{pid}\.pdf$", att["url"])


def test_nfcms_column_lists_only_after_javascript(srv):
    m = srv.manifest["chaoyang"]
    col = next(c for c in m["columns"] if c["kind"] == "nfcms")
    raw = fetch(col["url"]).text()
    assert not re.search(r"post_\d+", raw) and "index_2.html" not in raw
    markup = re.sub(r"<script.*?</script>", "", raw, flags=re.S)
    assert "<a " not in markup and "<li" not in markup  # no link and no pager before the script runs
    # what the script computes: reverse + base64 + JSON
    blob = re.search(r"var s='([^']+)'", raw).group(1)
    data = json.loads(base64.b64decode(blob[::-1]))
    js_reports = [r for r in m["reports"] if r["listed_by_js"]]
    assert data["count"] == col["pages"] >= 2
    assert [urljoin(col["url"], it["u"]) for it in data["items"]] == [r["url"] for r in js_reports][:5] or \
        {urljoin(col["url"], it["u"]) for it in data["items"]} <= {r["url"] for r in js_reports}
    detail = fetch(js_reports[0]["url"]).text()
    assert '<meta name="ArticleTitle"' in detail and js_reports[0]["title"] in detail


# ----------------------------------------------------------------------------- JCMS


def test_jcms_column_and_dataproxy(srv):
    m = srv.manifest["haiyan"]
    entry = fetch(m["entry_url"]).text()
    col_url = urljoin(m["entry_url"], re.search(r'href="([^"]+)">政府信息公开年报<', entry).group(1))
    assert col_url.endswith("/col/col1229449092/index.html")
    html = fetch(col_url).text()
    store = re.search(r'<script type="text/xml">(.*?)</script>', html, re.S).group(1)
    inline = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", store)
    total = int(re.search(r"totalRecord:(\d+),openCookies", html).group(1))
    perpage = int(re.search(r"perPage:(\d+)", html).group(1))
    param = re.search(r"var param_\d+ = \{(.*?)\};", html).group(1)
    form = {k: v.strip("'") for k, v in (kv.split(":", 1) for kv in param.split(","))}
    assert len(inline) == 3 * perpage and total == len(m["reports"])
    links = [re.search(r'href="([^"]+)"', rec).group(1) for rec in inline]
    start, calls = len(inline) + 1, 0
    while start <= total:
        q = urlencode({"startrecord": start, "endrecord": start + 3 * perpage - 1, "perpage": perpage})
        got = fetch(f"{srv.base_urls['haiyan']}/module/jpage/dataproxy.jsp?{q}", "POST", form,
                    {"Referer": col_url})
        xml = got.text()
        assert got.status == 200 and "<totalrecord>%d</totalrecord>" % total in xml
        assert "<totalpage>%d</totalpage>" % math.ceil(total / perpage) in xml
        recs = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", xml)
        assert 0 < len(recs) <= 3 * perpage
        links += [re.search(r'href="([^"]+)"', rec).group(1) for rec in recs]
        start, calls = start + 3 * perpage, calls + 1
    assert calls >= 2
    assert [urljoin(col_url, x) for x in links] == [r["url"] for r in sorted(m["reports"], key=lambda r: r["published_date"], reverse=True)] \
        or sorted(urljoin(col_url, x) for x in links) == sorted(r["url"] for r in m["reports"])
    assert all(re.search(r"/art/\d{4}/[1-9]\d?/[1-9]\d?/art_1229449092_\d+\.html$", x) for x in links)
    empty = fetch(f"{srv.base_urls['haiyan']}/module/jpage/dataproxy.jsp?startrecord=1&endrecord=15&perpage=5", "POST",
                  {**form, "columnid": "1"})
    assert "<totalrecord>0</totalrecord>" in empty.text() and "<record>" not in empty.text()


def test_jcms_downfile_redirect(srv):
    r = find(srv, "haiyan", "海盐县应急管理局", 2020)
    html = fetch(r["url"]).text()
    assert 'id="zoom"' in html and "发布时间：" in html and "信息来源：" in html
    dispositions = []
    for a in r["attachments"]:
        assert re.search(r"/module/download/downfile\.jsp\?classid=0&filename=[0-9a-f]{32}\.(pdf|docx)$", a["url"])
        assert a["url"].split("/", 3)[3].replace("&", "&amp;") in html
        hop = fetch(a["url"])
        assert hop.status == 302 and re.fullmatch(r"/attach/0/[0-9a-f]{32}\.\w+", hop.headers["Location"])
        final = fetch(urljoin(a["url"], hop.headers["Location"]))
        dispositions.append(final.headers["Content-Disposition"])
    assert all(d.startswith("attachment;") for d in dispositions)
    assert any("filename*=UTF-8''" in d for d in dispositions) or r["year"] % 2


# ----------------------------------------------------------------------------- days and scale


def test_day_two_changes():
    with ReplicaServer(day=1) as s:
        before = {site: {r["url"]: r for r in m["reports"]} for site, m in s.manifest.items()}
        changed = find(s, "fuzhou", "福州市应急管理局", 2021)
        removed = find(s, "haiyan", "嘉兴市生态环境局海盐分局", 2019)
        old_etag = fetch(changed["url"]).headers["ETag"]
        broken_col = next(c for c in s.manifest["changle"]["columns"] if c["agency"] == "福州市长乐区财政局")
        assert TLINK.findall(fetch(broken_col["url"]).text())
        s.set_day(2)
        after = {site: {r["url"]: r for r in m["reports"]} for site, m in s.manifest.items()}
        for site in before:
            new = set(after[site]) - set(before[site])
            assert new and all(after[site][u]["year"] == 2025 for u in new)
            # published between day 1 ("now" 2026-02-01) and day 2 (2026-02-08)
            assert all("2026-02-01" < after[site][u]["published_date"] <= "2026-02-08" for u in new)
            assert all(r["published_date"] <= "2026-02-01" for r in before[site].values())
        got = fetch(changed["url"], headers={"If-None-Match": old_etag})
        assert got.status == 200 and "更正说明" in got.text() and got.headers["ETag"] != old_etag
        assert after["fuzhou"][changed["url"]]["revision"] == 2
        assert removed["url"] not in after["haiyan"] and fetch(removed["url"]).status == 404
        col = fetch(s.manifest["haiyan"]["entry_url"].replace("col1229000001", "col1229449092")).text()
        assert removed["url"].split("/", 3)[3] not in col
        broken = fetch(broken_col["url"]).text()
        assert not TLINK.findall(broken) and "createPageHTML" not in broken
        assert next(c for c in s.manifest["changle"]["columns"] if c["url"] == broken_col["url"])["list_broken"]
        s.set_day(3)
        assert fetch(removed["url"]).status == 200
        assert removed["url"] in {r["url"] for r in s.manifest["haiyan"]["reports"]}


def test_scaled_sites_start_fast():
    ReplicaServer(scale=6).start().stop()  # a cold attachment cache is rendered once, not timed
    t0 = time.monotonic()
    with ReplicaServer(scale=6) as s:
        assert time.monotonic() - t0 < 10
        scaled = {k: v for k, v in s.manifest.items() if "-" in k}
        assert sorted(scaled) == ["gkmlpt-0002", "gkmlpt-0005", "jcms-0003", "jcms-0006", "trs-0001", "trs-0004"]
        for site, m in scaled.items():
            assert m["platform"] == site.split("-")[0] and len(m["reports"]) >= 80
            assert fetch(m["entry_url"]).status == 200
            r = m["reports"][-1]
            assert r["title"] in fetch(r["url"]).text()
            if m["platform"] == "trs":  # list pages of 20: a column of one report a year fits on one
                annual = [c for c in m["columns"] if c["kind"] == "annual"]
                assert annual and {c["pages"] for c in annual} == {1}
                listed = [x for x in m["reports"] if x["agency"] == annual[0]["agency"] and x.get("in_column", True)]
                assert len(listed) > 6 and fetch(annual[0]["url"]).text().count("<li><a ") == len(listed)
        assert max(c["pages"] for c in s.manifest["fuzhou"]["columns"]) > 1  # seed portals paginate


# ----------------------------------------------------------------------------- chaos


@pytest.fixture
def chaos_srv(srv):
    yield srv
    srv.set_chaos(None)


def test_chaos_modes_are_documented_and_listed(chaos_srv):
    from replica.families.chaos import MODES
    chaos_srv.set_chaos({"listed_404", "truncated_attachment"})
    info = chaos_srv.manifest["fuzhou"]["chaos"]
    assert set(info) == {"listed_404", "truncated_attachment"} and all(MODES[m] == info[m]["doc"] for m in info)
    victim = info["listed_404"]["urls"][0]
    listed = {r["url"] for r in chaos_srv.manifest["fuzhou"]["reports"]}
    assert victim in listed and fetch(victim).status == 404
    att_url = info["truncated_attachment"]["urls"][0]
    att = next(a for r in chaos_srv.manifest["fuzhou"]["reports"] for a in r["attachments"] if a["url"] == att_url)
    assert len(fetch(att_url).body) == att["size"] // 2


def test_chaos_bursts_and_cookie_challenges(chaos_srv):
    url = chaos_srv.manifest["changle"]["entry_url"]
    chaos_srv.set_chaos({"http_500_burst"})
    assert [fetch(url).status for _ in range(4)] == [503, 502, 500, 200]
    chaos_srv.set_chaos({"js_challenge_412"})
    first = fetch(url)
    assert first.status == 412 and "$_ts" in first.text() and "FSSBBIl1UgzbN7NO" in first.headers["Set-Cookie"]
    assert fetch(url, headers={"Cookie": first.headers["Set-Cookie"].split(";")[0]}).status == 412
    parts = re.search(r"var p=\['(\w+)','(\w+)'\]", first.text()).groups()
    assert fetch(url, headers={"Cookie": "FSSBBIl1UgzbN7NP=" + "".join(parts)}).status == 200
    assert fetch(url.split("/xjwz")[0] + "/robots.txt").status == 404  # exempt, still the site's own answer
    chaos_srv.set_chaos({"cookie_521"})
    page = fetch(url)
    assert page.status == 521
    token = "".join(re.findall(r"'(\w{4})'", page.text()))
    assert fetch(url, headers={"Cookie": f"__jsl_clearance_s={token}"}).status == 200


def test_chaos_lists_and_charsets(chaos_srv):
    m = chaos_srv.manifest["fuzhou"]
    col = next(c for c in m["columns"] if c["agency"] == "福州市应急管理局" and c["kind"] == "annual")
    chaos_srv.set_chaos({"endless_pagination", "duplicate_listing"})
    html = fetch(col["url"]).text()
    assert "createPageHTML(9999, 0" in html
    links = TLINK.findall(html)
    assert len(links) == 2 * len(set(links))
    assert fetch(urljoin(col["url"], "index_500.htm")).status == 200
    sid, cat = unit_config(chaos_srv, "stcyyjglj")
    assert api(chaos_srv, "stcyyjglj", cat, 500, sid).status == 200
    chaos_srv.set_chaos({"gbk_no_charset"})
    got = fetch(m["entry_url"])
    assert got.headers["Content-Type"] == "text/html" and "政府信息公开" in got.body.decode("gbk")
    chaos_srv.set_chaos({"charset_mismatch"})
    got = fetch(m["entry_url"])
    assert got.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")


def test_chaos_hostile_attachments(chaos_srv):
    chaos_srv.set_chaos({"hostile_filename", "encrypted_attachment", "html_as_pdf"})
    info = chaos_srv.manifest["chaoyang"]["chaos"]
    enc = fetch(info["encrypted_attachment"]["urls"][0])
    assert enc.body.startswith(b"%PDF") and b"/Encrypt" in enc.body
    fake = fetch(info["html_as_pdf"]["urls"][0])
    assert fake.headers["Content-Type"] == "application/pdf" and fake.body.lstrip().startswith(b"<html")
    cd = enc.headers["Content-Disposition"]
    assert cd.startswith("attachment;") and "\n" not in cd and ("../" in cd or "\\" in cd or "%01" in cd or len(cd) > 300)


def test_nfcms_list_appears_in_a_real_browser(srv):
    """The JS-only list is crawlable with Playwright (what the spider must use there)."""
    import shutil
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium")
    m = srv.manifest["chaoyang"]
    col = next(c for c in m["columns"] if c["kind"] == "nfcms")
    seen: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        url = col["url"]
        for _ in range(col["pages"]):
            page.goto(url)
            seen += page.eval_on_selector_all("#list li a", "els => els.map(e => e.href)")
            nxt = page.query_selector("#list a.next")
            if nxt is None:
                break
            url = nxt.evaluate("e => e.href")
        browser.close()
    assert sorted(seen) == sorted(r["url"] for r in m["reports"] if r["listed_by_js"])


def test_chaos_transport_quirks(chaos_srv):
    import gzip
    url = chaos_srv.manifest["fuzhou"]["entry_url"]
    chaos_srv.set_chaos({"cookie_302"})
    hop = fetch(url)
    assert hop.status == 302 and urlsplit(url).path == hop.headers["Location"]
    assert fetch(url, headers={"Cookie": hop.headers["Set-Cookie"].split(";")[0]}).status == 200
    chaos_srv.set_chaos({"browser_ua_only"})
    assert fetch(url, headers={"User-Agent": "python-urllib"}).status == 403
    assert fetch(url, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}).status == 200
    chaos_srv.set_chaos({"forced_gzip", "utf8_bom"})
    got = fetch(url, headers={"Accept-Encoding": "identity"})
    assert got.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(got.body).startswith(b"\xef\xbb\xbf<!DOCTYPE html>")
