/* ss-imap-uid-set.h: IMAP UID sequence sets ("1:5,9,12") */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Build a compact sequence set from UIDs (any order, duplicates allowed; 0 is skipped).
 * No UIDs: NULL. */
char     *ss_imap_uid_set_format  (const guint32 *uids,
                                   gsize          n_uids);
/* Parse a set with no '*'; appends the UIDs in order to out (GArray of guint32).
 * Refuses sets expanding to more than max_uids UIDs (hostile COPYUID). Errors are
 * SS_IMAP_PARSE_ERROR_SYNTAX or _TOO_LARGE; on error out is left as it was. */
gboolean  ss_imap_uid_set_parse   (const char    *set,
                                   gsize          max_uids,
                                   GArray        *out,
                                   GError       **error);

G_END_DECLS
