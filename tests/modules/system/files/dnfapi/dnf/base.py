import fnmatch
import os

from . import exceptions

WITH_MODULES = False


def _data(*p):
    from . import DATA
    return os.path.join(DATA, *p)


def _read(*p):
    try:
        with open(_data(*p)) as f:
            return f.read().strip()
    except IOError:
        return None


class Package(object):
    def __init__(self, name, vr, installed):
        self.name, self.arch, self.epoch = name, "x86_64", 0
        self.version, self.release = vr.rsplit("-", 1)
        self.repoid = "@System" if installed else "base"
        self.installtime = 1 if installed else 0
        self.installed = installed

    def __str__(self):
        return "%s-%s-%s.%s" % (self.name, self.version, self.release, self.arch)

    def provides(self):
        caps = [self.name]
        d = _data("provides")
        for c in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if _read("provides", c) == self.name:
                caps.append(c)
        return caps

    def matches(self, spec):
        vr = "%s-%s" % (self.version, self.release)
        forms = [self.name, "%s-%s" % (self.name, self.version), "%s-%s" % (self.name, vr),
                 "%s-%s.%s" % (self.name, vr, self.arch), "%s.%s" % (self.name, self.arch)]
        return any(fnmatch.fnmatchcase(f, spec) for f in forms) or spec in self.provides()


class Query(object):
    def __init__(self, sack, pkgs):
        self.sack, self.pkgs = sack, list(pkgs)

    def __iter__(self):
        return iter(self.pkgs)

    def __len__(self):
        return len(self.pkgs)

    def run(self):
        return list(self.pkgs)

    def installed(self):
        return Query(self.sack, [p for p in self.pkgs if p.installed])

    def available(self):
        return Query(self.sack, [p for p in self.pkgs if not p.installed])

    def upgrades(self):
        inst = dict((p.name, p) for p in self.sack.pkgs if p.installed)
        return Query(self.sack, [p for p in self.pkgs if not p.installed and p.name in inst
                                 and (p.version, p.release) != (inst[p.name].version, inst[p.name].release)])

    def union(self, other):
        return Query(self.sack, self.pkgs + [p for p in other.pkgs if p not in self.pkgs])

    def filter(self, **kw):
        out = []
        for p in self.pkgs:
            ok = True
            for k, v in kw.items():
                if k == "provides":
                    ok = ok and v in p.provides()
                elif k == "file":
                    ok = False
                elif k in ("name", "arch", "epoch", "version", "release"):
                    ok = ok and getattr(p, k) == v
            if ok:
                out.append(p)
        return Query(self.sack, out)


class Sack(object):
    def __init__(self):
        self.pkgs = []
        for kind in ("installed", "avail"):
            d = _data(kind)
            for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                self.pkgs.append(Package(n, _read(kind, n), kind == "installed"))

    def query(self):
        return Query(self, self.pkgs)


class Subst(dict):
    def update_from_etc(self, root):
        self.setdefault("releasever", "9")


class Conf(object):
    def __init__(self):
        self.exclude, self.disable_excludes = (), []
        self.substitutions = Subst()
        self.strict, self.best = True, True

    def read(self):
        pass


class _Repo(object):
    def __init__(self, rid):
        self.id = rid


class Repos(object):
    def get_matching(self, pattern):
        return []

    def iter_enabled(self):
        return iter([_Repo(r) for r in (_read("repos") or "").split()])

    def all(self):
        return self


class Transaction(object):
    def __init__(self, install, remove):
        self.install_set = sorted(install, key=str)
        self.remove_set = sorted(remove, key=str)


class Base(object):
    def __init__(self):
        self.conf, self.repos, self.sack = Conf(), Repos(), None
        self._install, self._remove = [], []
        self.transaction = None

    def setup_loggers(self):
        pass

    def init_plugins(self, disabled, enabled):
        pass

    def pre_configure_plugins(self):
        pass

    def configure_plugins(self):
        pass

    def read_all_repos(self):
        pass

    def update_cache(self):
        return True

    def fill_sack(self, **kw):
        self.sack = Sack()

    def add_security_filters(self, cmp, **kw):
        pass

    def _avail(self, spec):
        return [p for p in self.sack.query().available() if p.matches(spec)]

    def _inst(self, name):
        return [p for p in self.sack.query().installed() if p.name == name]

    def _mark(self, p):
        if p not in self._install:
            self._install.append(p)
            self._remove.extend(i for i in self._inst(p.name) if i not in self._remove)

    def install(self, spec, strict=True):
        cands = self._avail(spec)
        if not cands:
            raise exceptions.MarkingError("No match for argument: %s" % spec, spec)
        for p in cands:
            if not self._inst(p.name):
                self._mark(p)

    def upgrade(self, spec):
        if not [p for p in self.sack.query().installed() if p.matches(spec)]:
            raise exceptions.PackagesNotInstalledError("No match for argument: %s" % spec, spec)
        for p in self.sack.query().upgrades():
            if p.matches(spec):
                self._mark(p)

    def upgrade_all(self):
        for p in self.sack.query().upgrades():
            self._mark(p)

    def remove(self, spec):
        m = [p for p in self.sack.query().installed() if p.matches(spec) or str(p) == spec]
        if not m:
            raise exceptions.MarkingError("No match for argument: %s" % spec, spec)
        self._remove.extend(p for p in m if p not in self._remove)

    def autoremove(self):
        pass

    def resolve(self, allow_erasing=False):
        fail = (_read("fail") or "").split()
        for p in self._install:
            if p.name in fail:
                raise exceptions.DepsolveError(
                    "\n Problem: conflicting requests\n  - nothing provides libmissing.so.1()(64bit) needed by %s" % p)
        self.transaction = Transaction(self._install, self._remove)
        return bool(self._install or self._remove)

    def download_packages(self, pkgs):
        pass

    def _sig_check_pkg(self, pkg):
        return 0, None

    def do_transaction(self):
        for p in self._remove:
            os.remove(_data("installed", p.name))
        for p in self._install:
            with open(_data("installed", p.name), "w") as f:
                f.write("%s-%s" % (p.version, p.release))
        return None

    def add_remote_rpms(self, paths):
        return []

    def read_comps(self):
        pass
