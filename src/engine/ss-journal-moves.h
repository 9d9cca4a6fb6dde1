/* ss-journal-moves.h: what the journal keeps to learn the user's own moves: per folder the
 * highest UID looked at, and which moves were learned (each once) */
#pragma once

#include "ss-journal.h"

G_BEGIN_DECLS

/* The UIDVALIDITY and UIDNEXT up to which folder's arrivals were looked at; *found FALSE
 * when the folder was never seen. */
gboolean ss_journal_get_watermark      (SsJournal   *self,
                                        const char  *account,
                                        const char  *folder,
                                        guint32     *uidvalidity,
                                        guint32     *uidnext,
                                        gboolean    *found,
                                        GError     **error);
gboolean ss_journal_set_watermark      (SsJournal   *self,
                                        const char  *account,
                                        const char  *folder,
                                        guint32      uidvalidity,
                                        guint32      uidnext,
                                        GError     **error);
/* A move of the user's, learned: the message as found at folder/uidvalidity/uid. */
gboolean ss_journal_note_move_learned  (SsJournal   *self,
                                        const char  *account,
                                        const char  *folder,
                                        guint32      uidvalidity,
                                        guint32      uid,
                                        GError     **error);
gboolean ss_journal_is_move_learned    (SsJournal   *self,
                                        const char  *account,
                                        const char  *folder,
                                        guint32      uidvalidity,
                                        guint32      uid,
                                        gboolean    *learned,
                                        GError     **error);
/* Whether a history row says SpamSieve itself put the message folder/uidvalidity/uid there. */
gboolean ss_journal_is_own_arrival     (SsJournal   *self,
                                        const char  *account,
                                        const char  *folder,
                                        guint32      uidvalidity,
                                        guint32      uid,
                                        gboolean    *own,
                                        GError     **error);
/* The newest history row of message_id: where SpamSieve last put it (*destination NULL when
 * it never handled it; free it) and the UID it got there (0: unknown). */
gboolean ss_journal_last_destination   (SsJournal   *self,
                                        const char  *account,
                                        const char  *message_id,
                                        char       **destination,
                                        guint32     *dest_uid,
                                        GError     **error);

G_END_DECLS
