GROUP_PACKAGE_TYPES = ("mandatory", "default", "conditional")
