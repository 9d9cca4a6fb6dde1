/* ss-message-info.h: what a person needs to recognise a message (GMime header decoding) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *message_id;  /* without <>; "" if none */
  char *from;        /* RFC 2047 decoded, valid UTF-8, e.g. "Ann Example <ann@example.org>" */
  char *subject;     /* RFC 2047 decoded, valid UTF-8, unfolded, control chars removed */
  char *date;        /* Date header as sent (valid UTF-8), "" if none */
} SsMessageInfo;

/* Parses only the header of a raw RFC 5322 message (may be a header-only fetch). Never fails:
 * missing or garbled headers give "" fields; invalid bytes become U+FFFD. Bounded: each
 * field is truncated to 998 bytes (on a UTF-8 boundary). */
SsMessageInfo *ss_message_info_parse      (const guint8  *data,
                                           gsize          len);
SsMessageInfo *ss_message_info_copy       (const SsMessageInfo *info);
void           ss_message_info_free       (SsMessageInfo *info);
/* Call once from main() before threads start (g_mime_init); safe to call twice. */
void           ss_message_info_init       (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsMessageInfo, ss_message_info_free)

G_END_DECLS
