class Error(Exception):
    pass


class MarkingError(Error):
    pass


class MarkingErrors(Error):
    pass


class PackagesNotInstalledError(MarkingError):
    pass


class DepsolveError(Error):
    pass


class RepoError(Error):
    pass


class CompsError(Error):
    pass


class DownloadError(Error):
    pass
