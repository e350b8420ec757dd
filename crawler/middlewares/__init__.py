"""Downloader middlewares: what happens to every request before it leaves govwatch."""
