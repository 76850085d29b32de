"""The Scrapy project: settings, capture, pipelines, platform base spiders."""
