/* ss-sender-lists.h: per-account allow and block lists of sender addresses */
#pragma once

#include <gio/gio.h>

#include "ss-record.h"

G_BEGIN_DECLS

/* spamd scores at or above this are certain spam: an allowed sender never rescues them (a
 * From address is easily forged). */
#define SS_SENDER_LISTS_CERTAIN_SPAM 15.0

/* Rule names added to a record's rules when a list decided (or was overruled). */
#define SS_SENDER_RULE_ALLOW     "ALLOWLIST"
#define SS_SENDER_RULE_BLOCK     "BLOCKLIST"
#define SS_SENDER_RULE_SPOOFED   "ALLOWLIST_IGNORED_CERTAIN_SPAM"

typedef enum {
  SS_SENDER_UNLISTED,
  SS_SENDER_ALLOWED,
  SS_SENDER_BLOCKED,
} SsSenderStatus;

/* The rule, a pure function. verdict: spamd's (or the fused) SPAM/HAM/UNCERTAIN verdict;
 * other verdicts pass unchanged. Blocked → SPAM. Allowed → HAM unless score ≥ certain_spam.
 * *rule (nullable) is set to the rule name that applies, or NULL. */
SsVerdictKind ss_sender_lists_rule (SsSenderStatus  status,
                                    double          score,
                                    double          certain_spam,
                                    SsVerdictKind   verdict,
                                    const char    **rule);

/* The address of a From/To/Cc header value ("Ann <Ann@Example.org>" → "ann@example.org"),
 * lower case; NULL when there is none. */
char        *ss_sender_address   (const char *header);
/* All addresses of an address-list header value (To, Cc), lower case. */
char       **ss_sender_addresses (const char *header);

#define SS_TYPE_SENDER_LISTS (ss_sender_lists_get_type ())
G_DECLARE_FINAL_TYPE (SsSenderLists, ss_sender_lists, SS, SENDER_LISTS, GObject)

/* Loads the lists saved at path (missing file: empty lists). path NULL: in memory only.
 * A file that cannot be parsed is moved aside to PATH.corrupt-TIME. Thread-safe object.
 * Saves by another object or process (the app's editor) are read again when seen. */
SsSenderLists *ss_sender_lists_open        (const char     *path,
                                            GError        **error);
/* The file next to the journal at journal_path (NULL: in memory) for account. */
char          *ss_sender_lists_path_for    (const char     *journal_path,
                                            const char     *account);
/* Entries from the settings ([lists] allow= / block=): addresses or "@domain", separated
 * by commas, semicolons or spaces. They are not saved in the file and cannot be removed
 * by ss_sender_lists_remove(). Either may be NULL. */
void           ss_sender_lists_set_settings (SsSenderLists *self,
                                            const char     *allow,
                                            const char     *block);
/* An exact address entry beats an "@domain" one; between equals, block wins. */
SsSenderStatus ss_sender_lists_lookup      (SsSenderLists  *self,
                                            const char     *address);
/* Puts address (or "@domain") on one list (taking it off the other) and saves the file
 * atomically. *previous (nullable): what the saved file said before. */
gboolean       ss_sender_lists_add         (SsSenderLists  *self,
                                            const char     *address,
                                            SsSenderStatus  status,
                                            SsSenderStatus *previous,
                                            GError        **error);
/* Sets the saved status of address back to status (UNLISTED: removes it) and saves. */
gboolean       ss_sender_lists_restore     (SsSenderLists  *self,
                                            const char     *address,
                                            SsSenderStatus  status,
                                            GError        **error);
/* The saved entries of one list, sorted. */
char         **ss_sender_lists_dup_saved   (SsSenderLists  *self,
                                            SsSenderStatus  status);

/* Marks: the list change a mark made, by where the marked message went, so that marking
 * that message back the other way (Undo) undoes the change instead of listing the sender
 * on the other list. The last 64 are kept, in the file too (Undo works after a restart). */
void           ss_sender_lists_note_mark   (SsSenderLists  *self,
                                            const char     *folder,
                                            guint32         uidvalidity,
                                            guint32         uid,
                                            const char     *address,
                                            SsSenderStatus  added,
                                            SsSenderStatus  previous);
/* If the message at folder/uidvalidity/uid was listed by a mark in the other direction
 * (added != status), restores what was there before and returns TRUE. */
gboolean       ss_sender_lists_undo_mark   (SsSenderLists  *self,
                                            const char     *folder,
                                            guint32         uidvalidity,
                                            guint32         uid,
                                            SsSenderStatus  status,
                                            GError        **error);

/* The \Sent folder reading position (0, 0 before the first read). */
void           ss_sender_lists_get_sent_mark (SsSenderLists *self,
                                              guint32       *uidvalidity,
                                              guint32       *last_uid);
/* Allows every address (not already listed) and saves them with the new position. */
gboolean       ss_sender_lists_add_sent    (SsSenderLists  *self,
                                            char          **addresses,
                                            guint32         uidvalidity,
                                            guint32         last_uid,
                                            GError        **error);

G_END_DECLS
