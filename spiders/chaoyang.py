from crawler.platforms.gkmlpt import GkmlptSpider


class ChaoyangSpider(GkmlptSpider):
    """汕头市潮阳区人民政府 — Guangdong gkmlpt + NFCMS."""

    name = site_id = "chaoyang"
    site_name = "汕头市潮阳区人民政府"
    region_code = "440513"
    province, prefecture, county = "广东省", "汕头市", "潮阳区"
    home_url = "https://www.gdcy.gov.cn/"
    entry_urls = ["https://www.gdcy.gov.cn/cy/zwgk/"]
