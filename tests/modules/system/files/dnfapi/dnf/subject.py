import fnmatch


class Subject(object):
    def __init__(self, spec):
        self.spec = spec

    def get_best_query(self, sack, **kw):
        from .base import Query
        return Query(sack, [p for p in sack.pkgs if p.matches(self.spec)])
