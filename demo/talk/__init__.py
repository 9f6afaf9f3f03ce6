"""The talk: the deck state the presenter drives (``follow``), who the presenter
is (``presenter``) and the pages that follow it (``pages``: /join, the live deck).
"""
