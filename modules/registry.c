/*
 * registry.c — the module implementations, in modules.def's order: the
 * module id the compiler emits is an index here and into mod_schemas[].
 */
#include "mod.h"

const RtModuleFn rt_modules[] = {
#define MOD(n) mod_##n,
#include "modules.def"
#undef MOD
};
