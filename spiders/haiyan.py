from crawler.platforms.jcms import JcmsSpider


class HaiyanSpider(JcmsSpider):
    """海盐县人民政府 — Hanweb JCMS (Zhejiang)."""

    name = site_id = "haiyan"
    site_name = "海盐县人民政府"
    region_code = "330424"
    province, prefecture, county = "浙江省", "嘉兴市", "海盐县"
    home_url = "http://www.haiyan.gov.cn/"
    entry_urls = ["http://www.haiyan.gov.cn/col/col1229000001/index.html"]
