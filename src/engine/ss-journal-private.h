/* ss-journal-private.h: the journal's cached statements, for the ss-journal-*.c files only */
#pragma once

#include <sqlite3.h>

#include "ss-journal.h"

G_BEGIN_DECLS

/* sql must be a string literal (its address is the cache key); hand the statement back
 * with _ss_journal_release(). */
sqlite3_stmt *_ss_journal_prepare  (SsJournal     *self,
                                    const char    *sql,
                                    GError       **error);
void          _ss_journal_release  (sqlite3_stmt  *stmt);
/* Sets error from the database's last message; returns FALSE. */
gboolean      _ss_journal_db_error (SsJournal     *self,
                                    const char    *what,
                                    GError       **error);

G_END_DECLS
