"""The click processor's code (CodeUri of streaming/template.yml); Lambda imports `app` from it.

A package only so that tests and the import contracts can name it; it never imports `mysfits`.
"""
