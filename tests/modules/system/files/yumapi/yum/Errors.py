class YumBaseError(Exception):
    pass
