"""The offline demo: a local imitation of five government sites, crawled twice.

site.py holds the sample publications and serves them on 127.0.0.1 in the shapes the real
sites use (WordPress RSS, the EC press corner JSON API, MEXT's RDF feed and Shift_JIS list
page, Beijing's policy list, NSF's RSS and Drupal list); run.py drives the demo.
"""
