/*
 * eval.c — the run-time evaluator: templates that arrive only at run time
 * (inventory and group_vars/host_vars values, -e, decrypted vault data,
 * set_fact values holding template text) evaluated where they are used, as
 * Ansible's Templar does (DESIGN.md invariant 1). The text is parsed by the
 * frontend's own Jinja lexer and parser (frontend/jinja_*.c, linked into the
 * runtime) and the AST is walked here, calling exactly what compiled code
 * calls for the same node (codegen.c): rt_binop, rt_getattr, rt_filter,
 * rt_test, rt_method, rt_lookup_fn, the rt_tpl_* buffer and the tplstmt.c
 * helpers for `{% if/for/set/with %}`; so both paths share one semantics.
 *
 * Statements use the host's frame of local slots like compiled templates: a
 * first pass numbers every binding site (for targets and `loop`, set and with
 * targets) in source order, as lower.c does, so a `for` resets its body's
 * slots [first, end) per iteration; names are then resolved while walking,
 * innermost binding first, an unset slot reading what the name means outside.
 *
 * Values Ansible marks unsafe (RT_VF_UNSAFE strings: registered results,
 * anything built from them) are never templated. A template that reaches
 * itself again is Ansible's "recursive loop detected in template string".
 */
#include "rt.h"

#include "jinja.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How deep templates may evaluate inside each other (a var naming a var ...). */
enum { EV_MAX_NESTING = 48 };

typedef struct EvName {
  const char *name;
  int32_t slot;
} EvName;

/* A for statement's slots: [first, end), its `loop` in loop_slot. */
typedef struct EvFor {
  int32_t first, end, loop_slot;
} EvFor;

typedef struct Ev {
  RtHost *h;
  PcCtx *c;
  const char *var;  /* the variable being templated (messages) */
  PcMap sites;      /* binding site (a target JExpr, a for JStmt) → its slot + 1, or its EvFor */
  int32_t nslots;
  EvName *names;    /* bound names, innermost last */
  int32_t nnames, capnames;
  int32_t scope;    /* names[scope..] are the innermost scope's */
} Ev;

static const RtLoc ev_loc = {NULL, 0, 0};

static RtValue *ev_expr(Ev *ev, const JExpr *j);
static void ev_parts(Ev *ev, RtTpl *buf, const JTemplate *t);

/* ---- unsafe values ------------------------------------------------------------ */

bool rt_value_unsafe(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_STR: return (v->flags & RT_VF_UNSAFE) != 0;
  case RT_LIST:
    for (size_t i = 0; i < v->u.list.len; i++)
      if (rt_value_unsafe(v->u.list.items[i]))
        return true;
    return false;
  case RT_DICT:
    for (size_t i = 0; i < v->u.dict.len; i++)
      if (rt_value_unsafe(v->u.dict.ents[i].val))
        return true;
    return false;
  default: return false;
  }
}

RtValue *rt_unsafe_str(const char *s, uint64_t len) {
  RtValue *v = rt_str(s, (size_t)len);
  v->flags |= RT_VF_UNSAFE;
  return v;
}

RtValue *rt_unsafe_wrap(RtValue *v) {
  switch (rt_kind(v)) {
  case RT_STR: {
    if (v->flags & RT_VF_UNSAFE)
      return rt_incref(v);
    RtValue *s = rt_str(v->u.str.s, v->u.str.len);
    s->flags = (uint8_t)((v->flags & (RT_VF_NATIVE_TEXT | RT_VF_MARKUP)) | RT_VF_UNSAFE);
    return s;
  }
  case RT_LIST: {
    RtValue *l = rt_list_new(v->u.list.len);
    for (size_t i = 0; i < v->u.list.len; i++)
      rt_list_push(l, rt_unsafe_wrap(v->u.list.items[i]));
    return l;
  }
  case RT_DICT: {
    RtValue *d = rt_dict_new(v->u.dict.len);
    for (size_t i = 0; i < v->u.dict.len; i++) {
      rt_dict_put_key(d, v->u.dict.ents[i].key, rt_unsafe_wrap(v->u.dict.ents[i].val));
    }
    d->flags = v->flags & RT_VF_NAMESPACE;
    return d;
  }
  default: return rt_incref(v);
  }
}

RtValue *rt_unsafe_taint(RtValue *r, const RtValue *base, const RtValue *args, const RtValue *kwargs) {
  if (rt_is_error(r) || rt_kind(r) < RT_STR || rt_kind(r) > RT_DICT)
    return r;
  if (!(rt_value_unsafe(base) || (args && rt_value_unsafe(args)) || (kwargs && rt_value_unsafe(kwargs))))
    return r;
  RtValue *w = rt_unsafe_wrap(r);
  rt_decref(r);
  return w;
}

/* ---- what is a template --------------------------------------------------------- */

static bool ev_is_template_text(const char *s, size_t len) {
  for (size_t i = 0; i + 1 < len; i++)
    if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#'))
      return true;
  return false;
}

bool rt_data_has_template(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_STR: return !(v->flags & RT_VF_UNSAFE) && ev_is_template_text(v->u.str.s, v->u.str.len);
  case RT_LIST:
    for (size_t i = 0; i < v->u.list.len; i++)
      if (rt_data_has_template(v->u.list.items[i]))
        return true;
    return false;
  case RT_DICT:
    for (size_t i = 0; i < v->u.dict.len; i++)
      if (rt_data_has_template(v->u.dict.ents[i].val))
        return true;
    return false;
  default: return false;
  }
}

/* ---- names and slots -------------------------------------------------------------- */

static int32_t ev_site_slot(Ev *ev, const void *site) {
  intptr_t s = (intptr_t)pc_map_get_ptr(&ev->sites, site);
  RT_ASSERT(s > 0);
  return (int32_t)(s - 1);
}

static void ev_number_parts(Ev *ev, const JTemplate *t);

static void ev_number_target(Ev *ev, const JExpr *target) {
  if (target->kind == J_NAME) {
    pc_map_put_ptr(ev->c, &ev->sites, target, (void *)(intptr_t)(++ev->nslots));
    return;
  }
  for (int32_t k = 0; target->kind == J_TUPLE && k < target->nkids; k++)
    ev_number_target(ev, target->kids[k]);
}

/* Numbers the binding sites of statement `st`, in lower.c's order. */
static void ev_number_stmt(Ev *ev, const JStmt *st) {
  switch (st->kind) {
  case JS_FOR: {
    EvFor *f = pc_alloc(ev->c, sizeof *f);
    f->first = ev->nslots;
    ev_number_target(ev, st->target);
    f->loop_slot = ev->nslots++;
    if (st->body)
      ev_number_parts(ev, st->body);
    f->end = ev->nslots;
    pc_map_put_ptr(ev->c, &ev->sites, st, f);
    if (st->orelse)
      ev_number_parts(ev, st->orelse);
    return;
  }
  case JS_SETBLOCK:
    if (st->body)
      ev_number_parts(ev, st->body);
    /* fallthrough */
  case JS_SET:
    if (st->target->kind != J_GETATTR)
      ev_number_target(ev, st->target);
    return;
  case JS_WITH:
    for (int32_t k = 0; k < st->target->nkids; k++)
      ev_number_target(ev, st->target->kids[k]);
    /* fallthrough */
  default:
    if (st->body)
      ev_number_parts(ev, st->body);
    if (st->orelse)
      ev_number_parts(ev, st->orelse);
  }
}

static void ev_number_parts(Ev *ev, const JTemplate *t) {
  for (int32_t i = 0; i < t->nparts; i++)
    if (t->parts[i].stmt)
      ev_number_stmt(ev, t->parts[i].stmt);
}

static int32_t ev_scope_open(Ev *ev) {
  int32_t outer = ev->scope;
  ev->scope = ev->nnames;
  return outer;
}

static void ev_scope_close(Ev *ev, int32_t outer) {
  ev->nnames = ev->scope;
  ev->scope = outer;
}

/* Binds `name` to `slot` in the innermost scope. */
static void ev_bind_name(Ev *ev, const char *name, int32_t slot) {
  for (int32_t k = ev->nnames - 1; k >= ev->scope; k--)
    if (strcmp(ev->names[k].name, name) == 0) {
      if (ev->names[k].slot != slot) { /* a later site of the name: it takes the value so far */
        RtValue *v = rt_local(ev->h, ev->names[k].slot);
        if (v)
          rt_local_set(ev->h, slot, v);
        ev->names[k].slot = slot;
      }
      return;
    }
  if (ev->nnames == ev->capnames) {
    ev->capnames = ev->capnames ? ev->capnames * 2 : 8;
    ev->names = rt_xrealloc(ev->names, sizeof *ev->names * (size_t)ev->capnames);
  }
  ev->names[ev->nnames++] = (EvName){name, slot};
}

/* The innermost slot bound to `name`, or -1. */
static int32_t ev_find_slot(Ev *ev, const char *name) {
  for (int32_t k = ev->nnames - 1; k >= 0; k--)
    if (strcmp(ev->names[k].name, name) == 0)
      return ev->names[k].slot;
  return -1;
}

/* A name: the innermost local that is set, else the variable. */
static RtValue *ev_name(Ev *ev, const char *name) {
  for (int32_t k = ev->nnames - 1; k >= 0; k--)
    if (strcmp(ev->names[k].name, name) == 0) {
      RtValue *v = rt_local(ev->h, ev->names[k].slot);
      if (v)
        return v;
    }
  return rt_var(ev->h, name, &ev_loc);
}

/* ---- expressions ------------------------------------------------------------------ */

static RtValue *ev_unsupported(Ev *ev, const char *what) {
  return rt_error("template error while templating string: %s is not supported in run-time data (variable %s)",
                  what, ev->var);
}

/* kids[from, to) as a new list, or NULL when empty. */
static RtValue *ev_list(Ev *ev, const JExpr *j, int32_t from, int32_t to) {
  if (from >= to)
    return NULL;
  RtValue *l = rt_list_new((size_t)(to - from));
  for (int32_t i = from; i < to; i++)
    rt_list_push(l, ev_expr(ev, j->kids[i]));
  return l;
}

/* The keyword arguments (the last nkw kids) as a new dict, or NULL. */
static RtValue *ev_kwargs(Ev *ev, const JExpr *j) {
  if (j->nkw <= 0)
    return NULL;
  RtValue *d = rt_dict_new((size_t)j->nkw);
  for (int32_t i = 0; i < j->nkw; i++)
    rt_dict_put(d, j->kwnames[i], strlen(j->kwnames[i]), ev_expr(ev, j->kids[j->nkids - j->nkw + i]));
  return d;
}

/* Filter, test and method calls: base, positional args, keyword args. */
static RtValue *ev_call_filter(Ev *ev, const JExpr *j, const char *name, const JExpr *base_expr, int32_t from) {
  if (j->unsupported)
    return ev_unsupported(ev, j->unsupported);
  RtValue *base = ev_expr(ev, base_expr);
  RtValue *args = ev_list(ev, j, from, j->nkids - j->nkw);
  RtValue *kw = ev_kwargs(ev, j);
  RtValue *r;
  if (j->kind == J_CALL)
    r = rt_method(name, base, args, kw, &ev_loc);
  else if (j->kind == J_FILTER)
    r = rt_filter(name, base, args, kw, &ev_loc);
  else
    r = kw ? rt_test_kw(name, base, args, kw, &ev_loc) : rt_test(name, base, args, &ev_loc);
  rt_decref(base);
  rt_decref(args);
  rt_decref(kw);
  if (j->kind == J_TEST && j->negated) {
    RtValue *n = rt_not(r, &ev_loc);
    rt_decref(r);
    return n;
  }
  return r;
}

/* lookup(NAME, terms..., kw=...), query() and q() (query adds wantlist=True). */
static RtValue *ev_lookup(Ev *ev, const JExpr *j, bool query) {
  int32_t npos = j->nkids - 1 - j->nkw;
  if (npos < 1)
    return rt_error("template error while templating string: %s() needs the name of a lookup plugin",
                    j->kids[0]->name);
  RtValue *name = ev_expr(ev, j->kids[1]);
  if (rt_is_error(name) || rt_kind(name) != RT_STR) {
    RtValue *err = rt_is_error(name) ? rt_error_of(name) : rt_error("lookup plugin name must be a string");
    rt_decref(name);
    return err;
  }
  const char *n = name->u.str.s;
  if (strncmp(n, "ansible.builtin.", 16) == 0)
    n += 16;
  else if (strncmp(n, "ansible.legacy.", 15) == 0)
    n += 15;
  RtValue *args = ev_list(ev, j, 2, 1 + npos);
  if (!args)
    args = rt_list_new(0);
  RtValue *kw = ev_kwargs(ev, j);
  if (query) {
    if (!kw)
      kw = rt_dict_new(1);
    rt_dict_set(kw, "wantlist", rt_bool(true));
  }
  RtValue *r = rt_lookup_fn(ev->h, n, args, kw, &ev_loc);
  rt_decref(name);
  rt_decref(args);
  rt_decref(kw);
  return r;
}

/* loop.cycle(a, b, ...): the argument at loop.index0 modulo their count. */
static RtValue *ev_cycle(Ev *ev, const JExpr *j, RtValue *loop) {
  int32_t npos = j->nkids - 1;
  RtValue *items = ev_list(ev, j, 1, j->nkids);
  RtValue *idx = rt_getattr(loop, "index0", &ev_loc), *n = rt_int(npos);
  RtValue *mod = rt_binop(RT_OP_MOD, idx, n, &ev_loc);
  RtValue *r = rt_getitem(items, mod, &ev_loc);
  rt_decref(items);
  rt_decref(idx);
  rt_decref(n);
  rt_decref(mod);
  return r;
}

/* A call: a method, lookup()/query()/q(), namespace(), loop.cycle(); the
 * others (range(), dict() ...) are refused, as the compiler refuses them. */
static RtValue *ev_call(Ev *ev, const JExpr *j) {
  const JExpr *callee = j->kids[0];
  int32_t npos = j->nkids - 1 - j->nkw;
  if (j->unsupported)
    return ev_unsupported(ev, j->unsupported);
  if (callee->kind == J_NAME) {
    if (!strcmp(callee->name, "lookup") || !strcmp(callee->name, "query") || !strcmp(callee->name, "q"))
      return ev_lookup(ev, j, callee->name[0] == 'q');
    if (!strcmp(callee->name, "namespace") && npos == 0 && ev_find_slot(ev, "namespace") < 0) {
      RtValue *d = rt_dict_new((size_t)j->nkw);
      for (int32_t k = 0; k < j->nkw; k++) {
        RtValue *key = rt_strz(j->kwnames[k]); /* rt_dict_put_value borrows the key */
        d = rt_dict_put_value(d, key, ev_expr(ev, j->kids[1 + k]));
        rt_decref(key);
      }
      return rt_namespace(d);
    }
    char *what = rt_xasprintf("calling %s()", callee->name);
    RtValue *err = ev_unsupported(ev, what);
    free(what);
    return err;
  }
  if (callee->kind == J_GETATTR) {
    const JExpr *recv = callee->kids[0];
    if (!strcmp(callee->name, "cycle") && recv->kind == J_NAME && !strcmp(recv->name, "loop") && npos > 0 &&
        j->nkw == 0 && ev_find_slot(ev, "loop") >= 0) {
      RtValue *loop = ev_name(ev, "loop");
      RtValue *r = ev_cycle(ev, j, loop);
      rt_decref(loop);
      return r;
    }
    return ev_call_filter(ev, j, callee->name, recv, 1);
  }
  return ev_unsupported(ev, "calling a value");
}

/* `a and b and ...` / `a or b or ...`: the operand that decides. */
static RtValue *ev_andor(Ev *ev, const JExpr *j) {
  bool is_and = j->kind == J_AND;
  for (int32_t i = 0; i + 1 < j->nkids; i++) {
    RtValue *a = ev_expr(ev, j->kids[i]), *err = NULL;
    int32_t t = rt_truth(a, &err);
    if (t < 0) {
      rt_decref(a);
      return err;
    }
    if (t == (is_and ? 0 : 1))
      return a;
    rt_decref(a);
  }
  return ev_expr(ev, j->kids[j->nkids - 1]);
}

static RtValue *ev_if(Ev *ev, const JExpr *j) {
  RtValue *c = ev_expr(ev, j->kids[0]), *err = NULL;
  int32_t t = rt_truth(c, &err);
  rt_decref(c);
  if (t < 0)
    return err;
  if (t)
    return ev_expr(ev, j->kids[1]);
  return j->kids[2] ? ev_expr(ev, j->kids[2]) : rt_none();
}

static RtValue *ev_binop(Ev *ev, const JExpr *j) {
  RtValue *a = ev_expr(ev, j->kids[0]), *b = ev_expr(ev, j->kids[1]);
  RtValue *r = j->kind == J_GETITEM ? rt_getitem(a, b, &ev_loc) : rt_binop((int32_t)j->op, a, b, &ev_loc);
  rt_decref(a);
  rt_decref(b);
  return r;
}

static RtValue *ev_unary(Ev *ev, const JExpr *j) {
  RtValue *a = ev_expr(ev, j->kids[0]);
  RtValue *r = j->kind == J_NOT ? rt_not(a, &ev_loc)
               : j->kind == J_NEG ? rt_neg(a, &ev_loc)
                                  : rt_getattr(a, j->name, &ev_loc);
  rt_decref(a);
  return r;
}

static RtValue *ev_slice(Ev *ev, const JExpr *j) {
  RtValue *v[4];
  for (int i = 0; i < 4; i++)
    v[i] = ev_expr(ev, j->kids[i]);
  RtValue *r = rt_slice(v[0], v[1], v[2], v[3], &ev_loc);
  for (int i = 0; i < 4; i++)
    rt_decref(v[i]);
  return r;
}

static RtValue *ev_dict(Ev *ev, const JExpr *j) {
  RtValue *d = rt_dict_new((size_t)j->nkids / 2);
  for (int32_t i = 0; i + 1 < j->nkids; i += 2) {
    RtValue *k = ev_expr(ev, j->kids[i]);
    d = rt_dict_put_value(d, k, ev_expr(ev, j->kids[i + 1]));
    rt_decref(k);
  }
  return d;
}

/* a ~ b ~ c: one buffer, each operand rendered with str(). */
static RtValue *ev_concat(Ev *ev, const JExpr *j) {
  RtTpl *buf = rt_tpl_begin();
  for (int32_t i = 0; i < j->nkids; i++) {
    RtValue *v = ev_expr(ev, j->kids[i]);
    rt_tpl_str(buf, v);
    rt_decref(v);
  }
  return rt_tpl_end_str(buf);
}

static RtValue *ev_expr(Ev *ev, const JExpr *j) {
  switch (j->kind) {
  case J_NONE: return rt_none();
  case J_BOOL: return rt_bool(j->b);
  case J_INT: return j->s ? rt_int_text(j->s, j->slen) : rt_int(j->i);
  case J_FLOAT: return rt_float(j->f);
  case J_STR: return rt_str(j->s, j->slen);
  case J_NAME: return ev_name(ev, j->name);
  case J_GETATTR: case J_NOT: case J_NEG: return ev_unary(ev, j);
  case J_POS: return ev_expr(ev, j->kids[0]);
  case J_GETITEM: case J_BINOP: return ev_binop(ev, j);
  case J_SLICE: return ev_slice(ev, j);
  case J_AND: case J_OR: return ev_andor(ev, j);
  case J_IF: return ev_if(ev, j);
  case J_LIST: case J_TUPLE: {
    RtValue *l = ev_list(ev, j, 0, j->nkids);
    l = l ? l : rt_list_new(0);
    return j->kind == J_TUPLE ? rt_list_tuple(l) : l;
  }
  case J_DICT: return ev_dict(ev, j);
  case J_CONCAT: return ev_concat(ev, j);
  case J_FILTER: case J_TEST: return ev_call_filter(ev, j, j->name, j->kids[0], 1);
  case J_CALL: return ev_call(ev, j);
  case J_BODY: break;
  }
  return ev_unsupported(ev, "a {% filter %} block");
}

/* ---- statements ------------------------------------------------------------------- */

/* Binds the targets of a for/set (a name, or a tuple unpacking `v`) to `v` (borrowed). */
static void ev_bind(Ev *ev, RtTpl *buf, const JExpr *target, RtValue *v) {
  if (target->kind == J_NAME) {
    int32_t slot = ev_site_slot(ev, target);
    rt_local_set(ev->h, slot, rt_incref(v));
    ev_bind_name(ev, target->name, slot);
    return;
  }
  RtValue *items = rt_local_unpack(buf, v, target->nkids, &ev_loc);
  for (int32_t k = 0; k < target->nkids; k++) {
    int32_t slot = ev_site_slot(ev, target->kids[k]);
    rt_local_set_item(ev->h, slot, items, k);
    ev_bind_name(ev, target->kids[k]->name, slot);
  }
  rt_decref(items);
}

/* The error of a truth test, recorded in the buffer as the template's. */
static void ev_record(RtTpl *buf, RtValue *err) {
  rt_tpl_value(buf, err);
  rt_decref(err);
}

/* {% for t in items [if c] %}body{% else %}other{% endfor %} (playc.h's protocol). */
static void ev_for(Ev *ev, RtTpl *buf, const JStmt *st) {
  const EvFor *sl = pc_map_get_ptr(&ev->sites, st);
  RtValue *items = ev_expr(ev, st->expr);
  RtFor *f = rt_for_begin(ev->h, buf, items, sl->first, sl->end, sl->loop_slot, &ev_loc);
  rt_decref(items);
  int32_t outer = ev_scope_open(ev);
  RtValue *x;
  if (st->cond) {
    while ((x = rt_for_next(f, RT_FOR_ITEM))) {
      ev_bind(ev, buf, st->target, x);
      ev_bind_name(ev, "loop", sl->loop_slot);
      RtValue *c = ev_expr(ev, st->cond), *err = NULL;
      int32_t t = rt_truth(c, &err);
      rt_decref(c);
      if (t < 0)
        ev_record(buf, err);
      else if (t)
        rt_for_keep(f);
    }
    rt_for_filtered(f);
  }
  while ((x = rt_for_next(f, RT_FOR_LOOP | RT_FOR_ADJACENT | RT_FOR_ALL_FIELDS))) {
    ev_bind(ev, buf, st->target, x);
    ev_bind_name(ev, "loop", sl->loop_slot);
    if (st->body)
      ev_parts(ev, buf, st->body);
  }
  ev_scope_close(ev, outer);
  if (!rt_for_end(f) && st->orelse)
    ev_parts(ev, buf, st->orelse);
}

/* A body rendered into a string in a scope of its own ({% set x %}...). */
static RtValue *ev_capture(Ev *ev, const JTemplate *t) {
  int32_t outer = ev_scope_open(ev);
  RtTpl *buf = rt_tpl_begin();
  if (t)
    ev_parts(ev, buf, t);
  ev_scope_close(ev, outer);
  return rt_tpl_end_str(buf);
}

static void ev_set(Ev *ev, RtTpl *buf, const JStmt *st, RtValue *v) {
  if (st->target->kind == J_GETATTR) { /* ns.attr = v */
    const JExpr *ns = st->target->kids[0];
    rt_local_setattr(ev->h, buf, ns->kind == J_NAME ? ev_find_slot(ev, ns->name) : -1, st->target->name, v,
                     &ev_loc);
    return;
  }
  ev_bind(ev, buf, st->target, v);
  rt_decref(v);
}

static void ev_stmt(Ev *ev, RtTpl *buf, const JStmt *st) {
  switch (st->kind) {
  case JS_IF: {
    RtValue *c = ev_expr(ev, st->expr), *err = NULL;
    int32_t t = rt_truth(c, &err);
    rt_decref(c);
    if (t < 0)
      ev_record(buf, err);
    else if (t ? st->body != NULL : st->orelse != NULL)
      ev_parts(ev, buf, t ? st->body : st->orelse);
    return;
  }
  case JS_FOR:
    if (st->recursive)
      break;
    ev_for(ev, buf, st);
    return;
  case JS_SET: ev_set(ev, buf, st, ev_expr(ev, st->expr)); return;
  case JS_SETBLOCK: ev_set(ev, buf, st, ev_capture(ev, st->body)); return;
  case JS_WITH: {
    int32_t n = st->expr->nkids;
    RtValue **vals = rt_xcalloc((size_t)(n ? n : 1), sizeof *vals);
    for (int32_t k = 0; k < n; k++)
      vals[k] = ev_expr(ev, st->expr->kids[k]);
    int32_t outer = ev_scope_open(ev);
    for (int32_t k = 0; k < n; k++) {
      ev_bind(ev, buf, st->target->kids[k], vals[k]);
      rt_decref(vals[k]);
    }
    free(vals);
    if (st->body)
      ev_parts(ev, buf, st->body);
    ev_scope_close(ev, outer);
    return;
  }
  case JS_BLOCK: {
    int32_t outer = ev_scope_open(ev);
    if (st->body)
      ev_parts(ev, buf, st->body);
    ev_scope_close(ev, outer);
    return;
  }
  default: break;
  }
  char *what = rt_xasprintf("the Jinja statement '%s%s'", st->name, st->recursive ? " ... recursive" : "");
  ev_record(buf, ev_unsupported(ev, what));
  free(what);
}

static void ev_parts(Ev *ev, RtTpl *buf, const JTemplate *t) {
  for (int32_t i = 0; i < t->nparts; i++) {
    const JPart *p = &t->parts[i];
    if (p->stmt) {
      ev_stmt(ev, buf, p->stmt);
    } else if (p->expr) {
      RtValue *v = ev_expr(ev, p->expr);
      rt_tpl_value(buf, v);
      rt_decref(v);
    } else {
      rt_tpl_text(buf, p->text, p->len);
    }
  }
}

/* ---- one string --------------------------------------------------------------------- */

/* The text Jinja2's lexer reads: "\r\n" and "\r" are newlines. */
static char *ev_newlines(const char *s, size_t len) {
  char *t = rt_xmalloc(len + 1), *o = t;
  for (size_t i = 0; i < len; i++) {
    *o++ = s[i] == '\r' ? '\n' : s[i];
    if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
      i++;
  }
  *o = 0;
  return t;
}

/* The parser's diagnostic as Jinja2's TemplateSyntaxError reads in Ansible. */
static RtValue *ev_syntax_error(const char *diag, const char *src) {
  const char *m = diag ? strstr(diag, "error: ") : NULL;
  m = m ? m + 7 : "syntax error";
  size_t n = strcspn(m, "\n");
  return rt_error("template error while templating string: %.*s. String: %s. %.*s", (int)n, m, src, (int)n, m);
}

/* A template of one string: its value as compiled templates give theirs
 * (lower.c lw_string, codegen cg_single/cg_template). */
static RtValue *ev_template(Ev *ev, const char *src) {
  size_t len = strlen(src), keep = 0;
  char *diag = NULL;
  size_t dlen = 0;
  ev->c->diag_out = open_memstream(&diag, &dlen);
  if (!ev->c->diag_out)
    rt_panic(__FILE__, __LINE__, "open_memstream");
  PcLoc loc = {"", 0, 0};
  JTemplate *t = fe_jinja_parse_template(ev->c, src, loc);
  if (t && t->has_stmt) { /* Jinja2 drops the newline ending the source; Ansible puts it back */
    while (keep < len && src[len - 1 - keep] == '\n')
      keep++;
    if (keep)
      t = fe_jinja_parse_template(ev->c, pc_strndup(ev->c, src, len - 1), loc);
  }
  fclose(ev->c->diag_out);
  ev->c->diag_out = NULL;
  if (!t || ev->c->nerrors) {
    RtValue *err = ev_syntax_error(diag, src);
    free(diag);
    return err;
  }
  free(diag);
  if (!t->has_stmt && t->nparts == 1 && t->parts[0].expr) { /* "{{ x }}" alone */
    RtValue *v = ev_expr(ev, t->parts[0].expr);
    if (t->parts[0].expr->kind == J_NAME)
      return v;
    RtValue *r = rt_tpl_single(v);
    rt_decref(v);
    return r;
  }
  for (int32_t i = 0; t->has_stmt && i < t->nparts; i++)
    if (t->parts[i].stmt)
      ev_number_stmt(ev, t->parts[i].stmt);
  void *saved = t->has_stmt ? rt_locals_enter(ev->h, ev->nslots) : NULL;
  RtTpl *buf = rt_tpl_begin();
  ev_parts(ev, buf, t);
  if (keep)
    rt_tpl_newlines(buf, (int32_t)keep);
  RtValue *r = rt_tpl_end(buf);
  if (saved)
    rt_locals_leave(ev->h, saved);
  return r;
}

/* Ansible's wording of a failure templating variable `src` (AnsibleJ2Vars):
 * an undefined name is an undefined value whose hint names the template
 * (it fails only where it is used: `| default` still works), anything else
 * an error naming it. Takes `err`. */
static RtValue *ev_failure(RtValue *err, const char *name, const char *src) {
  RtValue *e = rt_error_of(err);
  rt_decref(err);
  const char *msg = e->u.err.msg;
  RtValue *r;
  if (e->u.err.exc == RT_EXC_UNDEFINED) {
    char *hint = rt_xasprintf("%s: %s. %s", src, msg, msg);
    r = rt_undef(name, hint);
    free(hint);
  } else if (strncmp(msg, "An unhandled exception occurred while templating", 48) == 0) {
    return e; /* a nested variable's failure: worded once */
  } else {
    const char *exc = rt_exc_name((RtExc)e->u.err.exc);
    if (e->u.err.exc == RT_EXC_TYPE)
      r = rt_error("An unhandled exception occurred while templating '%s'. Error was a <class "
                   "'ansible.errors.AnsibleError'>, original message: Unexpected templating type error "
                   "occurred on (%s): %s. %s",
                   src, src, msg, msg);
    else if (exc)
      r = rt_error("An unhandled exception occurred while templating '%s'. Error was a <class '%s'>, original "
                   "message: %s",
                   src, exc, msg);
    else
      r = rt_error("An unhandled exception occurred while templating '%s'. Error was a <class "
                   "'ansible.errors.AnsibleError'>, original message: %s",
                   src, msg);
  }
  rt_decref(e);
  return r;
}

/* Templates `v` (borrowed) in `ev`: strings with template syntax rendered,
 * containers item by item. A new reference, or an error. */
static RtValue *ev_data(Ev *ev, RtValue *v) {
  if (!rt_data_has_template(v))
    return rt_incref(v);
  if (rt_kind(v) == RT_LIST) {
    RtValue *l = rt_list_new(v->u.list.len);
    for (size_t i = 0; i < v->u.list.len; i++) {
      RtValue *x = ev_data(ev, v->u.list.items[i]);
      if (rt_is_error(x)) {
        rt_decref(l);
        return x;
      }
      rt_list_push(l, x);
    }
    return l;
  }
  if (rt_kind(v) == RT_DICT) {
    RtValue *d = rt_dict_new(v->u.dict.len);
    for (size_t i = 0; i < v->u.dict.len; i++) {
      RtValue *x = ev_data(ev, v->u.dict.ents[i].val);
      if (rt_is_error(x)) {
        rt_decref(d);
        return x;
      }
      rt_dict_put_key(d, v->u.dict.ents[i].key, x);
    }
    return d;
  }
  RtHost *h = ev->h;
  char *src = ev_newlines(v->u.str.s, v->u.str.len);
  RtValue *r;
  if (h->forcing > EV_MAX_NESTING) {
    r = rt_error("recursive loop detected in template string: %s. maximum recursion depth exceeded", src);
  } else {
    h->forcing++;
    Ev inner = {.h = h, .c = ev->c, .var = ev->var};
    r = ev_template(&inner, src);
    free(inner.names);
    h->forcing--;
  }
  free(src);
  return r;
}

RtValue *rt_eval_data(RtHost *h, RtValue *v, const char *name) {
  if (!rt_data_has_template(v))
    return rt_incref(v);
  PcCtx c;
  pc_ctx_init(&c);
  Ev ev = {.h = h, .c = &c, .var = name};
  RtValue *r = ev_data(&ev, v);
  pc_ctx_free(&c);
  if (rt_is_error(r)) {
    RtBuf b = {0};
    rt_render_str(&b, v);
    r = ev_failure(r, name, b.data ? b.data : "");
    rt_buf_free(&b);
  }
  return r;
}
