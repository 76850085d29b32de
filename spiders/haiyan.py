from crawler.platforms.jcms import JcmsSpider


class HaiyanSpider(JcmsSpider):
    """海盐县人民政府 — Hanweb JCMS (Zhejiang)."""

    name = site_id = "haiyan"
    site_name = "海盐县人民政府"
    region_code = "330424"
    province, prefecture, county = "浙江省", "嘉兴市", "海盐县"
    home_url = "http://www.haiyan.gov.cn/"
    entry_urls = ["http://www.haiyan.gov.cn/col/col1229000001/index.html"]
    # field guide jcms-zhejiang.md §2: reports of the county-wide column col1229449092
    footholds = ["http://www.haiyan.gov.cn/art/2025/1/20/art_1229449092_98337.html",
                 "http://www.haiyan.gov.cn/art/2024/1/29/art_1229449092_89438.html"]
