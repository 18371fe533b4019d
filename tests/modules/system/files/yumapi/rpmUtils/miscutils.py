# rpmUtils.miscutils as yum 3 defines splitFilename and compareEVR.


def splitFilename(filename):
    if filename[-4:] == '.rpm':
        filename = filename[:-4]
    archIndex = filename.rfind('.')
    arch = filename[archIndex + 1:]
    relIndex = filename[:archIndex].rfind('-')
    rel = filename[relIndex + 1:archIndex]
    verIndex = filename[:relIndex].rfind('-')
    ver = filename[verIndex + 1:relIndex]
    epochIndex = filename.find(':')
    epoch = '' if epochIndex == -1 else filename[:epochIndex]
    name = filename[epochIndex + 1:verIndex]
    return name, ver, rel, epoch, arch


def compareEVR(a, b):
    def key(evr):
        e, v, r = evr
        return (int(e or 0), [int(x) if x.isdigit() else x for x in (v or '').split('.')],
                [int(x) if x.isdigit() else x for x in (r or '').split('.')])
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)
