"""Spiders: the generic shapes most sources take (:mod:`spiders.base`) and one module per
source that needs code, named by its source id."""
