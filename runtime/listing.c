/*
 * listing.c — ansible-playbook's --list-hosts, --list-tasks and --list-tags
 * for the compiled playbook: each play's header ("play #N (hosts): name
 * TAGS: [...]"), the hosts its pattern and --limit select, and the tasks
 * --tags/--skip-tags would run, walked through the compiled blocks as
 * PlaybookCLI walks play.compile(): nested blocks in order, implicit meta
 * tasks left out, handlers and gathering not listed, includes listed as the
 * include task itself (their files are only known when a host runs them).
 *
 * Where Ansible prints a Python set (the play's tags, the hosts) the order is
 * its hash order, different on every run; playc prints tags sorted and hosts
 * in the order the play would run them.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

typedef struct Tags {
  const char **v;
  int n;
} Tags;

static void tags_add(Tags *t, const char *s) {
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->v[i], s))
      return;
  t->v = rt_xrealloc(t->v, sizeof *t->v * (size_t)(t->n + 1));
  t->v[t->n++] = s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "a, b" sorted (sep ", ") or as given (sep ","). */
static void tags_print(Tags *t, const char *sep) {
  if (t->n) /* qsort of NULL is undefined even for no entries (UBSan) */
    qsort(t->v, (size_t)t->n, sizeof *t->v, cmp_str);
  for (int i = 0; i < t->n; i++)
    printf("%s%s", i ? sep : "", t->v[i]);
}

typedef struct Walk {
  RtRun *run;
  const char *const *only, *const *skip;
  const char *const *play_tags;
  Tags all;      /* tags of every listed task */
  RtBuf tasks;   /* --list-tasks lines */
} Walk;

static void walk_block(Walk *w, const RtBlockDef *b) {
  for (int r = 0; r < 3; r++)
    for (int32_t i = 0; i < b->nitems[r]; i++) {
      const RtItemDef *d = &b->items[r][i];
      if (d->block) {
        walk_block(w, d->block);
        continue;
      }
      const RtTaskDef *t = d->task;
      if (!t || (t->kind == RT_TASK_META && t->implicit) || !rt_tags_run(w->only, w->skip, t->tags))
        continue;
      Tags cur = {0};
      for (const char *const *p = w->play_tags; p && *p; p++)
        tags_add(&cur, *p);
      for (const char *const *p = t->tags; p && *p; p++) {
        tags_add(&cur, *p);
        tags_add(&w->all, *p);
      }
      /* task.get_name() with its role, or the bare action when unnamed */
      if (t->name[0] && t->role_name)
        rt_buf_printf(&w->tasks, "      %s : %s\tTAGS: [", t->role_name, t->name);
      else
        rt_buf_printf(&w->tasks, "      %s\tTAGS: [", t->name[0] ? t->name : t->action);
      if (cur.n) /* qsort of NULL is undefined even for no entries (UBSan) */
        qsort(cur.v, (size_t)cur.n, sizeof *cur.v, cmp_str);
      for (int k = 0; k < cur.n; k++)
        rt_buf_printf(&w->tasks, "%s%s", k ? ", " : "", cur.v[k]);
      rt_buf_puts(&w->tasks, "]\n");
      free(cur.v);
    }
}

int rt_list(RtRun *run) {
  static const char *const all[] = {"all", NULL};
  const RtProgram *prog = run->prog;
  printf("\nplaybook: %s\n", prog->playbook);
  for (int32_t p = 0; p < prog->nplays; p++) {
    const RtPlayDef *play = &prog->plays[p];
    Tags ptags = {0};
    for (const char *const *t = play->tags; t && *t; t++)
      tags_add(&ptags, *t);
    /* the pattern is Play.hosts, a list: "a:b" was one entry or several */
    printf("\n  play #%d (%s): %s\tTAGS: [", p + 1, play->hosts, play->name[0] ? play->name : play->hosts);
    tags_print(&ptags, ",");
    printf("]");
    if (run->opt.list_hosts) {
      int n = 0;
      int *idx = rt_play_hosts(run, play, &n);
      printf("\n    pattern: ['%s']\n    hosts (%d):", play->hosts, n);
      for (int i = 0; i < n; i++)
        printf("\n      %s", run->inv.hosts[idx[i]].name);
      free(idx);
    }
    printf("\n");
    if (run->opt.list_tasks || run->opt.list_tags) {
      Walk w = {run, run->opt.tags ? (const char *const *)run->opt.tags : all,
                (const char *const *)run->opt.skip_tags, play->tags, {0}, {0}};
      if (run->opt.list_tasks)
        rt_buf_puts(&w.tasks, "    tasks:\n");
      for (int32_t b = 0; b < play->nblocks; b++)
        walk_block(&w, play->blocks[b]);
      if (run->opt.list_tasks)
        fputs(w.tasks.data, stdout);
      if (run->opt.list_tags) {
        for (int i = 0; i < ptags.n; i++)
          tags_add(&w.all, ptags.v[i]);
        printf("      TASK TAGS: [");
        tags_print(&w.all, ", ");
        printf("]\n");
      }
      rt_buf_free(&w.tasks);
      free(w.all.v);
    }
    free(ptags.v);
  }
  free(run->hosts); /* rt_play_hosts sized it; no host was opened (close_hosts frees it after a run) */
  run->hosts = NULL;
  run->nhosts_alloc = 0;
  fflush(stdout);
  return 0;
}
