import re


def _cmp(a, b):
    pa, pb = re.findall(r"\d+|[a-zA-Z]+", a), re.findall(r"\d+|[a-zA-Z]+", b)
    for x, y in zip(pa, pb):
        if x.isdigit() and y.isdigit():
            x, y = int(x), int(y)
        elif x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        if x != y:
            return 1 if x > y else -1
    return (len(pa) > len(pb)) - (len(pa) < len(pb))


class _Rpm(object):
    @staticmethod
    def labelCompare(a, b):
        for x, y in zip(a, b):
            c = _cmp(str(x), str(y))
            if c:
                return c
        return 0


rpm = _Rpm()
