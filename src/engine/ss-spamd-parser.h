/* ss-spamd-parser.h: pure, bounded parser for spamd (SPAMD/1.x) replies (no I/O) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint     version_major;
  guint     version_minor;
  guint     code;            /* 0 = EX_OK; spamd's sysexits code otherwise */
  char     *message;         /* "EX_OK", "EX_UNAVAILABLE", ... */
  gint64    content_length;  /* -1 when absent */
  gboolean  has_spam_header; /* a well-formed "Spam:" header was present */
  gboolean  is_spam;         /* True/Yes */
  double    score;
  double    threshold;
  gboolean  did_set_local;   /* TELL: "DidSet: local" */
  gboolean  did_remove_local;/* TELL: "DidRemove: local" */
  GBytes   *body;            /* bytes after the blank line (may be empty, never NULL) */
  char    **symbols;         /* SYMBOLS: rule names split from the body; else empty vector */
} SsSpamdReply;

/* Parse a complete reply (the connection reached EOF). Fails with SS_SPAMD_ERROR_PROTOCOL on
 * malformed input, including a Content-length that disagrees with the body size. */
SsSpamdReply *ss_spamd_parse_reply  (const guint8  *buf,
                                     gsize          len,
                                     gboolean       is_symbols,
                                     GError       **error);
void          ss_spamd_reply_free   (SsSpamdReply  *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsSpamdReply, ss_spamd_reply_free)

G_END_DECLS
