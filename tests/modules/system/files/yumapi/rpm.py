# yumapi/rpm — present so that ansible.builtin.yum finds its bindings.
