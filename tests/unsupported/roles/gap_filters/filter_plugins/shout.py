class FilterModule(object):
    def filters(self):
        return {"shout": lambda s: s.upper()}
