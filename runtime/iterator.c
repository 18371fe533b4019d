/*
 * iterator.c — where each host stands in a play: Ansible's PlayIterator and
 * HostState, over the compiled block tables. A host's state is its position
 * in the play's top-level blocks (cur_block), the region it runs (tasks,
 * rescue, always, handlers), its index in each region, a failure state, and
 * a child state for a nested block. The transitions are Ansible's
 * (_get_next_task_from_state, _set_failed_state, _check_failed_state), so a
 * failure goes to rescue, then always, and a rescued host is not failed.
 *
 * Blocks and tasks are compiled data (RtBlockDef, RtTaskDef). The iterator
 * works on instances (RtBlk, RtItem) because includes add tasks while the
 * play runs: the blocks of an included file are instantiated per include
 * (Ansible's IncludedFile: hosts that include the same file with the same
 * vars share one), and spliced into the hosts' copies of the current block.
 * A task item's address is its identity (Ansible's task uuid): the linear
 * strategy runs together the hosts whose next task is the same item.
 *
 * Everything here belongs to one play and lives in the play's arena.
 */
#include "rt.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* ---- instances -------------------------------------------------------------------- */

static RtBlk *blk_of(RtIter *it, const RtBlockDef *def, RtIncInst *inc);

static RtItem *item_task(RtIter *it, const RtTaskDef *t, RtIncInst *inc) {
  RtItem *i = rt_arena_alloc(&it->arena, sizeof *i);
  i->task = t;
  i->inc = inc;
  return i;
}

static bool has_tag(const char *const *tags, const char *t) {
  for (int i = 0; tags && tags[i]; i++)
    if (strcmp(tags[i], t) == 0)
      return true;
  return false;
}

static bool any_common(const char *const *a, const char *const *b) {
  for (int i = 0; a && a[i]; i++)
    if (has_tag(b, a[i]))
      return true;
  return false;
}

static bool tags_run(const RtIter *it, const char *const *tags) {
  return rt_tags_run(it->only_tags, it->skip_tags, tags);
}

bool rt_tags_run(const char *const *only, const char *const *skip, const char *const *tags) {
  static const char *const untagged[] = {"untagged", NULL};
  bool tagged = tags && tags[0];
  if (!tagged)
    tags = untagged;
  bool run = true;
  if (only) {
    if (has_tag(tags, "always"))
      run = true;
    else if (has_tag(only, "all") && !has_tag(tags, "never"))
      run = true;
    else if (any_common(tags, only))
      run = true;
    else if (has_tag(only, "tagged") && tagged && !has_tag(tags, "never"))
      run = true;
    else
      run = false;
  }
  if (run && skip) {
    if (has_tag(skip, "all")) {
      if (!has_tag(tags, "always") || has_tag(skip, "always"))
        run = false;
    } else if (any_common(tags, skip)) {
      run = false;
    } else if (has_tag(skip, "tagged") && tagged) {
      run = false;
    }
  }
  return run;
}

/* Instantiates block `def` (and its nested blocks) for include instance
 * `inc`, without the tasks the run's tags leave out (implicit meta tasks
 * always stay, as Block.filter_tagged_tasks keeps them). */
static RtBlk *blk_of(RtIter *it, const RtBlockDef *def, RtIncInst *inc) {
  RtBlk *b = rt_arena_alloc(&it->arena, sizeof *b);
  b->def = def;
  b->inc = inc;
  for (int r = 0; r < 3; r++) {
    b->items[r] = rt_arena_alloc(&it->arena, sizeof(RtItem *) * (size_t)(def->nitems[r] + 1));
    for (int32_t i = 0; i < def->nitems[r]; i++) {
      const RtItemDef *d = &def->items[r][i];
      if (d->task) {
        if (!(d->task->kind == RT_TASK_META && d->task->implicit) && !tags_run(it, d->task->tags))
          continue;
        b->items[r][b->n[r]++] = item_task(it, d->task, inc);
      } else {
        RtItem *x = rt_arena_alloc(&it->arena, sizeof *x);
        x->blk = blk_of(it, d->block, inc);
        x->inc = inc;
        b->items[r][b->n[r]++] = x;
      }
    }
  }
  return b;
}

/* Block.get_tasks(): every task of the block, rescue and always, in order. */
static void blk_tasks(RtIter *it, const RtBlk *b, RtItemVec *out) {
  for (int r = 0; r < 3; r++)
    for (int32_t i = 0; i < b->n[r]; i++) {
      RtItem *x = b->items[r][i];
      if (x->blk)
        blk_tasks(it, x->blk, out);
      else
        rt_itemvec_push(out, x);
    }
}

void rt_itemvec_push(RtItemVec *v, RtItem *x) {
  if (v->len == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 16;
    v->items = rt_xrealloc(v->items, sizeof *v->items * v->cap);
  }
  v->items[v->len++] = x;
}

/* ---- host states ------------------------------------------------------------------- */

static RtHState *hs_new(RtIter *it, RtBlk **blocks, int32_t n) {
  RtHState *s = rt_arena_alloc(&it->arena, sizeof *s);
  s->blocks = blocks;
  s->nblocks = n;
  s->run_state = RT_IS_SETUP;
  s->update_handlers = true;
  return s;
}

/* A deep copy (HostState.copy): children too; blocks are shared until spliced. */
static RtHState *hs_copy(RtIter *it, const RtHState *s) {
  if (!s)
    return NULL;
  RtHState *c = rt_arena_alloc(&it->arena, sizeof *c);
  *c = *s;
  c->tasks_child = hs_copy(it, s->tasks_child);
  c->rescue_child = hs_copy(it, s->rescue_child);
  c->always_child = hs_copy(it, s->always_child);
  return c;
}

/* A state holding one nested block, starting in its tasks. */
static RtHState *hs_child(RtIter *it, RtBlk *b) {
  RtBlk **one = rt_arena_alloc(&it->arena, sizeof *one);
  one[0] = b;
  RtHState *c = hs_new(it, one, 1);
  c->run_state = RT_IS_TASKS;
  return c;
}

static RtBlk *hs_block(const RtHState *s) { return s->cur_block < s->nblocks ? s->blocks[s->cur_block] : NULL; }

bool rt_iter_check_failed(const RtHState *s);

/* _get_next_task_from_state: advances `s` to the host's next task item. */
static RtItem *next_from_state(RtIter *it, RtHState *s, int host) {
  RtItem *task = NULL;
  for (;;) {
    RtBlk *block = hs_block(s);
    if (!block) {
      s->run_state = RT_IS_COMPLETE;
      return NULL;
    }
    switch (s->run_state) {
    case RT_IS_SETUP:
      if (!s->pending_setup) {
        s->pending_setup = true;
        if (it->gather && it->setup && !(it->skip_gather && it->skip_gather[host]))
          task = it->setup;
      } else {
        s->pending_setup = false;
        s->run_state = RT_IS_TASKS;
        if (!s->did_start_at_task) {
          s->cur_block++;
          s->cur_regular = s->cur_rescue = s->cur_always = 0;
          s->tasks_child = s->rescue_child = s->always_child = NULL;
        }
      }
      break;
    case RT_IS_TASKS:
      if (s->pending_setup)
        s->pending_setup = false;
      if (s->tasks_child) {
        task = next_from_state(it, s->tasks_child, host);
        if (rt_iter_check_failed(s->tasks_child)) {
          s->tasks_child = NULL;
          rt_iter_set_failed(it, s);
        } else if (!task || s->tasks_child->run_state == RT_IS_COMPLETE) {
          s->tasks_child = NULL;
          continue;
        }
      } else if (rt_iter_check_failed(s)) {
        s->run_state = RT_IS_RESCUE;
      } else if (s->cur_regular >= block->n[0]) {
        s->run_state = RT_IS_ALWAYS;
      } else {
        task = block->items[0][s->cur_regular];
        if (task->blk) {
          s->tasks_child = hs_child(it, task->blk);
          task = NULL;
        }
        s->cur_regular++;
      }
      break;
    case RT_IS_RESCUE:
      if (s->rescue_child) {
        task = next_from_state(it, s->rescue_child, host);
        if (rt_iter_check_failed(s->rescue_child)) {
          s->rescue_child = NULL;
          rt_iter_set_failed(it, s);
        } else if (!task || s->rescue_child->run_state == RT_IS_COMPLETE) {
          s->rescue_child = NULL;
          continue;
        }
      } else if (s->fail_state & RT_FS_RESCUE) {
        s->run_state = RT_IS_ALWAYS;
      } else if (s->cur_rescue >= block->n[1]) {
        if (block->n[1] > 0)
          s->fail_state = RT_FS_NONE;
        s->run_state = RT_IS_ALWAYS;
        s->did_rescue = true;
      } else {
        task = block->items[1][s->cur_rescue];
        if (task->blk) {
          s->rescue_child = hs_child(it, task->blk);
          task = NULL;
        }
        s->cur_rescue++;
      }
      break;
    case RT_IS_ALWAYS:
      if (s->always_child) {
        task = next_from_state(it, s->always_child, host);
        if (rt_iter_check_failed(s->always_child)) {
          s->always_child = NULL;
          rt_iter_set_failed(it, s);
        } else if (!task || s->always_child->run_state == RT_IS_COMPLETE) {
          s->always_child = NULL;
          continue;
        }
      } else if (s->cur_always >= block->n[2]) {
        if (s->fail_state != RT_FS_NONE) {
          s->run_state = RT_IS_COMPLETE;
        } else {
          s->cur_block++;
          s->cur_regular = s->cur_rescue = s->cur_always = 0;
          s->run_state = RT_IS_TASKS;
          s->tasks_child = s->rescue_child = s->always_child = NULL;
          s->did_rescue = false;
        }
      } else {
        task = block->items[2][s->cur_always];
        if (task->blk) {
          s->always_child = hs_child(it, task->blk);
          task = NULL;
        }
        s->cur_always++;
      }
      break;
    case RT_IS_HANDLERS:
      if (s->update_handlers) {
        s->handlers = it->handlers.items;
        s->nhandlers = (int32_t)it->handlers.len;
        s->update_handlers = false;
        s->cur_handlers = 0;
      }
      if (s->fail_state & RT_FS_HANDLERS) {
        s->update_handlers = true;
        s->run_state = RT_IS_COMPLETE;
      } else {
        for (;;) {
          if (s->cur_handlers >= s->nhandlers) {
            task = NULL;
            s->run_state = s->pre_flushing_run_state;
            s->update_handlers = true;
            break;
          }
          task = s->handlers[s->cur_handlers++];
          if (rt_handler_notified(task, host))
            break;
        }
      }
      break;
    case RT_IS_COMPLETE:
      return NULL;
    }
    if (task)
      return task;
  }
}

/* _set_failed_state */
void rt_iter_set_failed(RtIter *it, RtHState *s) {
  RtBlk *b = hs_block(s);
  switch (s->run_state) {
  case RT_IS_SETUP:
    s->fail_state |= RT_FS_SETUP;
    s->run_state = RT_IS_COMPLETE;
    break;
  case RT_IS_TASKS:
    if (s->tasks_child) {
      rt_iter_set_failed(it, s->tasks_child);
    } else {
      s->fail_state |= RT_FS_TASKS;
      s->run_state = b && b->n[1] ? RT_IS_RESCUE : b && b->n[2] ? RT_IS_ALWAYS : RT_IS_COMPLETE;
    }
    break;
  case RT_IS_RESCUE:
    if (s->rescue_child) {
      rt_iter_set_failed(it, s->rescue_child);
    } else {
      s->fail_state |= RT_FS_RESCUE;
      s->run_state = b && b->n[2] ? RT_IS_ALWAYS : RT_IS_COMPLETE;
    }
    break;
  case RT_IS_ALWAYS:
    if (s->always_child) {
      rt_iter_set_failed(it, s->always_child);
    } else {
      s->fail_state |= RT_FS_ALWAYS;
      s->run_state = RT_IS_COMPLETE;
    }
    break;
  case RT_IS_HANDLERS:
    s->fail_state |= RT_FS_HANDLERS;
    s->update_handlers = true;
    s->run_state = b && b->n[1] ? RT_IS_RESCUE : b && b->n[2] ? RT_IS_ALWAYS : RT_IS_COMPLETE;
    break;
  case RT_IS_COMPLETE:
    break;
  }
}

/* _check_failed_state */
bool rt_iter_check_failed(const RtHState *s) {
  if (!s)
    return false;
  if (s->run_state == RT_IS_RESCUE && rt_iter_check_failed(s->rescue_child))
    return true;
  if (s->run_state == RT_IS_ALWAYS && rt_iter_check_failed(s->always_child))
    return true;
  if (s->run_state == RT_IS_HANDLERS && (s->fail_state & RT_FS_HANDLERS))
    return true;
  if (s->fail_state != RT_FS_NONE) {
    if (s->run_state == RT_IS_RESCUE && !(s->fail_state & RT_FS_RESCUE))
      return false;
    if (s->run_state == RT_IS_ALWAYS && !(s->fail_state & RT_FS_ALWAYS))
      return false;
    return !(s->did_rescue && !(s->fail_state & RT_FS_ALWAYS));
  }
  if (s->run_state == RT_IS_TASKS && rt_iter_check_failed(s->tasks_child)) {
    RtBlk *b = hs_block(s);
    return !(b && b->n[1] > 0 && !(s->fail_state & RT_FS_RESCUE));
  }
  return false;
}

RtHState *rt_iter_active(RtHState *s) {
  if (s->run_state == RT_IS_TASKS && s->tasks_child)
    return rt_iter_active(s->tasks_child);
  if (s->run_state == RT_IS_RESCUE && s->rescue_child)
    return rt_iter_active(s->rescue_child);
  if (s->run_state == RT_IS_ALWAYS && s->always_child)
    return rt_iter_active(s->always_child);
  return s;
}

bool rt_iter_rescuing(const RtHState *s) {
  RtBlk *b = hs_block(s);
  if (s->run_state == RT_IS_TASKS && b && b->n[1])
    return true;
  if (s->tasks_child)
    return rt_iter_rescuing(s->tasks_child);
  if (s->rescue_child)
    return rt_iter_rescuing(s->rescue_child);
  if (s->always_child)
    return rt_iter_rescuing(s->always_child);
  return false;
}

/* ---- the iterator's API ------------------------------------------------------------- */

RtItem *rt_iter_next(RtIter *it, int host, bool peek, RtHState **out) {
  RtHState *s = hs_copy(it, it->states[host]);
  RtItem *t = NULL;
  if (s->run_state != RT_IS_COMPLETE)
    t = next_from_state(it, s, host);
  if (!peek)
    it->states[host] = s;
  if (out)
    *out = s;
  return t;
}

void rt_iter_mark_failed(RtIter *it, int host) {
  RtHState *s = hs_copy(it, it->states[host]);
  rt_iter_set_failed(it, s);
  it->states[host] = s;
}

bool rt_iter_is_failed(RtIter *it, int host) { return rt_iter_check_failed(it->states[host]); }

static void clear_errors(RtHState *s) {
  s->fail_state = RT_FS_NONE;
  if (s->tasks_child)
    clear_errors(s->tasks_child);
  else if (s->rescue_child)
    clear_errors(s->rescue_child);
  else if (s->always_child)
    clear_errors(s->always_child);
}

void rt_iter_clear_errors(RtIter *it, int host) { clear_errors(it->states[host]); }

/* A copy of block `b` with `add` inserted in region `r` at `at`. */
static RtBlk *blk_splice(RtIter *it, const RtBlk *b, int r, int32_t at, RtItem **add, int32_t nadd) {
  RtBlk *c = rt_arena_alloc(&it->arena, sizeof *c);
  *c = *b;
  c->n[r] = b->n[r] + nadd;
  c->items[r] = rt_arena_alloc(&it->arena, sizeof(RtItem *) * (size_t)(c->n[r] + 1));
  memcpy(c->items[r], b->items[r], sizeof(RtItem *) * (size_t)at);
  memcpy(c->items[r] + at, add, sizeof(RtItem *) * (size_t)nadd);
  memcpy(c->items[r] + at + nadd, b->items[r] + at, sizeof(RtItem *) * (size_t)(b->n[r] - at));
  return c;
}

/* _insert_tasks_into_state */
static void insert_into(RtIter *it, RtHState *s, RtItem **add, int32_t nadd) {
  if ((s->fail_state != RT_FS_NONE && s->run_state == RT_IS_TASKS) || nadd == 0)
    return;
  RtBlk *b = hs_block(s);
  if (!b)
    return;
  /* the host's blocks array is shared: copy it before replacing an entry */
  RtBlk **blocks = rt_arena_alloc(&it->arena, sizeof *blocks * (size_t)s->nblocks);
  memcpy(blocks, s->blocks, sizeof *blocks * (size_t)s->nblocks);
  switch (s->run_state) {
  case RT_IS_TASKS:
    if (s->tasks_child) {
      insert_into(it, s->tasks_child, add, nadd);
      return;
    }
    blocks[s->cur_block] = blk_splice(it, b, 0, s->cur_regular, add, nadd);
    break;
  case RT_IS_RESCUE:
    if (s->rescue_child) {
      insert_into(it, s->rescue_child, add, nadd);
      return;
    }
    blocks[s->cur_block] = blk_splice(it, b, 1, s->cur_rescue, add, nadd);
    break;
  case RT_IS_ALWAYS:
    if (s->always_child) {
      insert_into(it, s->always_child, add, nadd);
      return;
    }
    blocks[s->cur_block] = blk_splice(it, b, 2, s->cur_always, add, nadd);
    break;
  case RT_IS_HANDLERS: {
    /* handlers included by a handler: spliced into this host's handler list */
    RtItemVec hv = {0};
    for (int32_t i = 0; i <= s->nhandlers; i++) { /* at cur_handlers, even past the last */
      if (i == s->cur_handlers)
        for (int32_t j = 0; j < nadd; j++)
          blk_tasks(it, add[j]->blk, &hv);
      if (i < s->nhandlers)
        rt_itemvec_push(&hv, s->handlers[i]);
    }
    RtItem **h = rt_arena_alloc(&it->arena, sizeof *h * (hv.len + 1));
    memcpy(h, hv.items, sizeof *h * hv.len);
    s->handlers = h;
    s->nhandlers = (int32_t)hv.len;
    free(hv.items);
    return;
  }
  default:
    return;
  }
  s->blocks = blocks;
}

void rt_iter_add_tasks(RtIter *it, int host, RtItem **blocks, int32_t n) {
  RtHState *s = hs_copy(it, it->states[host]);
  insert_into(it, s, blocks, n);
  it->states[host] = s;
}

RtItem *rt_iter_include_blocks(RtIter *it, const RtBlockDef *def, RtIncInst *inc) {
  RtItem *x = rt_arena_alloc(&it->arena, sizeof *x);
  x->blk = blk_of(it, def, inc);
  x->inc = inc;
  return x;
}

void rt_iter_all_tasks_insert(RtIter *it, RtItem **blocks, int32_t n) {
  RtItemVec add = {0};
  for (int32_t i = 0; i < n; i++)
    blk_tasks(it, blocks[i]->blk, &add);
  if (add.len) {
    size_t at = it->cur_task < it->all_tasks.len ? it->cur_task : it->all_tasks.len;
    while (it->all_tasks.len + add.len > it->all_tasks.cap) {
      it->all_tasks.cap = it->all_tasks.cap ? it->all_tasks.cap * 2 : 16;
      it->all_tasks.items = rt_xrealloc(it->all_tasks.items, sizeof(RtItem *) * it->all_tasks.cap);
    }
    memmove(it->all_tasks.items + at + add.len, it->all_tasks.items + at,
            sizeof(RtItem *) * (it->all_tasks.len - at));
    memcpy(it->all_tasks.items + at, add.items, sizeof(RtItem *) * add.len);
    it->all_tasks.len += add.len;
  }
  free(add.items);
}

static bool blk_has_tasks(const RtBlk *b) { return b->n[0] || b->n[1] || b->n[2]; }

/* Python's fnmatch.fnmatch on POSIX: `*` also matches `/`, a backslash is
 * an ordinary character. */
static bool name_match(const char *name, const char *pattern) {
  return strcmp(name, pattern) == 0 || fnmatch(pattern, name, FNM_NOESCAPE) == 0;
}

char *rt_task_get_name(const RtTaskDef *t) {
  const char *name = t->name[0] ? t->name : t->action;
  if (t->role_name && !t->implicit && t->kind != RT_TASK_INCLUDE_ROLE)
    return rt_xasprintf("%s : %s", t->role_name, name);
  return rt_xstrdup(name);
}

/* task.name, then task.get_name() */
static bool start_matches(const RtTaskDef *t, const char *pattern) {
  if (t->name[0] && name_match(t->name, pattern))
    return true;
  char *full = rt_task_get_name(t);
  bool m = name_match(full, pattern);
  free(full);
  return m;
}

bool rt_iter_start_at(RtIter *it, const char *pattern) {
  bool matched = false;
  for (int h = 0; h < it->nhosts; h++) {
    for (;;) {
      RtHState *s;
      RtItem *x = rt_iter_next(it, h, true, &s);
      if (s->run_state == RT_IS_COMPLETE)
        break;
      if (x && x->task && start_matches(x->task, pattern)) {
        matched = true;
        break;
      }
      it->states[h] = s;
    }
    if (matched) { /* as Ansible's: once one host matched, every later host restarts */
      it->states[h]->did_start_at_task = true;
      it->states[h]->run_state = RT_IS_SETUP;
    }
  }
  return matched;
}

void rt_iter_init(RtIter *it, const RtRun *run, const RtPlayDef *play, int nhosts, bool gather) {
  memset(it, 0, sizeof *it);
  it->play = play;
  static const char *const all[] = {"all", NULL};
  it->only_tags = run->opt.tags ? run->opt.tags : all;
  it->skip_tags = run->opt.skip_tags;
  it->nhosts = nhosts;
  it->gather = gather;
  /* the setup block: Gathering Facts, as Ansible's first block */
  it->setup_def.id = -1;
  it->setup_def.kind = RT_TASK_MODULE;
  it->setup_def.name = "Gathering Facts";
  it->setup_def.action = "gather_facts";
  it->setup_def.module = -1;
  it->setup_def.loc = play->loc;
  it->setup_def.scope = play->scope;
  memcpy(it->setup_def.kw, play->setup_kw, sizeof play->setup_kw); /* the play's become* */
  static const char *const always[] = {"always", NULL};
  it->setup_def.tags = always;
  it->setup = item_task(it, &it->setup_def, NULL);
  RtBlk *setup = rt_arena_alloc(&it->arena, sizeof *setup);
  setup->items[0] = rt_arena_alloc(&it->arena, sizeof(RtItem *));
  setup->items[0][0] = it->setup;
  setup->n[0] = 1;
  RtBlk **blocks = rt_arena_alloc(&it->arena, sizeof *blocks * (size_t)(play->nblocks + 1));
  int32_t nblocks = 0;
  if (tags_run(it, it->setup_def.tags)) {
    blocks[nblocks++] = setup;
    rt_itemvec_push(&it->all_tasks, it->setup);
  } else { /* no setup block: the first state step skips it anyway */
    setup->n[0] = 0;
    blocks[nblocks++] = setup;
  }
  for (int32_t i = 0; i < play->nblocks; i++) {
    RtBlk *b = blk_of(it, play->blocks[i], NULL);
    if (!blk_has_tasks(b))
      continue;
    blocks[nblocks++] = b;
    blk_tasks(it, b, &it->all_tasks);
  }
  /* a handler listed twice (a role instance's handlers loaded again by
   * another include_role) is one object, notified and run once per flush */
  for (int32_t i = 0; i < play->nhandlers; i++) {
    RtItem *x = NULL;
    for (int32_t j = 0; j < i && !x; j++)
      if (play->handlers[j] == play->handlers[i])
        x = it->handlers.items[j];
    rt_itemvec_push(&it->handlers, x ? x : item_task(it, play->handlers[i], NULL));
  }
  it->states = rt_xcalloc((size_t)nhosts + 1, sizeof *it->states);
  for (int h = 0; h < nhosts; h++)
    it->states[h] = hs_new(it, blocks, nblocks);
}

void rt_iter_free(RtIter *it) {
  free(it->states);
  free(it->all_tasks.items);
  free(it->handlers.items);
  rt_arena_free(&it->arena);
}
