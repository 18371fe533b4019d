/*
 * textwrap.h — Python's textwrap.wrap(text, width) with its defaults, as
 * Ansible's display wraps warnings: shared by the runtime and the compiler
 * (`playc vault`), so a warning breaks where ansible's does. No RtValue.
 */
#ifndef PLAYC_TEXTWRAP_H
#define PLAYC_TEXTWRAP_H

#include <stdbool.h>
#include <stddef.h>

/* The lines of textwrap.wrap(text, width) joined by "\n" (no final newline),
 * malloc'd. Widths count code points of UTF-8 text, as Python counts
 * characters; a byte that is not UTF-8 counts as one. */
char *rt_textwrap(const char *text, size_t width);

/* TextWrapper's options (rt_textwrap: all true), for Jinja's wordwrap
 * filter, which turns expand_tabs and replace_whitespace off. */
typedef struct RtWrapOpts {
  bool expand_tabs, replace_whitespace, break_long_words, break_on_hyphens;
} RtWrapOpts;
char *rt_textwrap_opts(const char *text, size_t width, const RtWrapOpts *o);

#endif
