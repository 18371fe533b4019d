/*
 * mod.h — the built-in modules' implementations (runtime side). Each is C on
 * the controller plus, for remote modules, minimal POSIX shell on the target.
 * mod_schemas[] (modules.h) and rt_modules[] (registry.c) share one order.
 */
#ifndef PLAYC_MOD_H
#define PLAYC_MOD_H

#include "modules.h"
#include "rt.h"

RtValue *mod_command(RtHost *h, RtValue *args);
RtValue *mod_shell(RtHost *h, RtValue *args);
RtValue *mod_debug(RtHost *h, RtValue *args);
RtValue *mod_set_fact(RtHost *h, RtValue *args);
RtValue *mod_assert(RtHost *h, RtValue *args);
RtValue *mod_fail(RtHost *h, RtValue *args);
RtValue *mod_file(RtHost *h, RtValue *args);
RtValue *mod_copy(RtHost *h, RtValue *args);
RtValue *mod_setup(RtHost *h, RtValue *args);

#endif
