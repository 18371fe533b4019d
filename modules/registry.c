/*
 * registry.c — the module implementations, indexed like mod_schemas[]
 * (modules/schema.c): the module id the compiler emits is an index here.
 */
#include "mod.h"

const RtModuleFn rt_modules[] = {
    mod_command, mod_shell, mod_debug, mod_set_fact, mod_assert,
    mod_fail,    mod_file,  mod_copy,  mod_setup, mod_include_vars,
    mod_validate_argument_spec,
};

_Static_assert(sizeof rt_modules / sizeof rt_modules[0] == 11,
               "rt_modules[] must follow mod_schemas[] one to one");
