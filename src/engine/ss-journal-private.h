/* ss-journal-private.h: the database handle, for the ss-journal-*.c files only */
#pragma once

#include <sqlite3.h>

#include "ss-journal.h"

G_BEGIN_DECLS

sqlite3 *_ss_journal_get_db (SsJournal *self);

G_END_DECLS
