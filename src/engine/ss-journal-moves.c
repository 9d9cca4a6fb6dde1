/* ss-journal-moves.c: watermarks and learned moves (see ss-journal-moves.h). The tables are
 * in the journal's schema (ss-journal.c), so older state files gain them on open. */
#define G_LOG_DOMAIN "ss-journal"

#include "config.h"

#include "ss-journal-moves.h"

#include "ss-journal-private.h"

/* The journal's cached statement for sql, with account and folder bound to ?1 and ?2 and,
 * if it has them, a and b to ?3 and ?4. */
static sqlite3_stmt *
statement (SsJournal   *self,
           const char  *sql,
           const char  *account,
           const char  *folder,
           guint32      a,
           guint32      b,
           GError     **error)
{
  sqlite3_stmt *stmt = _ss_journal_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, folder, -1, SQLITE_TRANSIENT);
  if (sqlite3_bind_parameter_count (stmt) >= 4)
    {
      sqlite3_bind_int64 (stmt, 3, a);
      sqlite3_bind_int64 (stmt, 4, b);
    }
  return stmt;
}

/* Runs a statement that returns no rows, and releases it. */
static gboolean
finish (SsJournal     *self,
        sqlite3_stmt  *stmt,
        const char    *what,
        GError       **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  _ss_journal_release (stmt);
  return rc == SQLITE_DONE || _ss_journal_db_error (self, what, error);
}

/* Steps to the first row: TRUE with *row set (the caller releases stmt), or FALSE on
 * error (stmt released then). */
static gboolean
first_row (SsJournal     *self,
           sqlite3_stmt  *stmt,
           const char    *what,
           gboolean      *row,
           GError       **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _ss_journal_release (stmt);
      return _ss_journal_db_error (self, what, error);
    }
  *row = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
ss_journal_get_watermark (SsJournal   *self,
                          const char  *account,
                          const char  *folder,
                          guint32     *uidvalidity,
                          guint32     *uidnext,
                          gboolean    *found,
                          GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  *uidvalidity = *uidnext = 0;
  stmt = statement (self, "SELECT uidvalidity, uidnext FROM watermarks "
                          "WHERE account = ?1 AND folder = ?2", account, folder, 0, 0, error);
  if (!first_row (self, stmt, "watermarks", found, error))
    return FALSE;
  if (*found)
    {
      *uidvalidity = (guint32) sqlite3_column_int64 (stmt, 0);
      *uidnext = (guint32) sqlite3_column_int64 (stmt, 1);
    }
  _ss_journal_release (stmt);
  return TRUE;
}

gboolean
ss_journal_set_watermark (SsJournal   *self,
                          const char  *account,
                          const char  *folder,
                          guint32      uidvalidity,
                          guint32      uidnext,
                          GError     **error)
{
  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  return finish (self, statement (self, "INSERT OR REPLACE INTO watermarks (account, folder, "
                                        "uidvalidity, uidnext) VALUES (?1, ?2, ?3, ?4)",
                                  account, folder, uidvalidity, uidnext, error),
                 "watermarks", error);
}

gboolean
ss_journal_note_move_learned (SsJournal   *self,
                              const char  *account,
                              const char  *folder,
                              guint32      uidvalidity,
                              guint32      uid,
                              GError     **error)
{
  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  return finish (self, statement (self, "INSERT OR REPLACE INTO learned_moves (account, "
                                        "folder, uidvalidity, uid, time) "
                                        "VALUES (?1, ?2, ?3, ?4, strftime('%s', 'now'))",
                                  account, folder, uidvalidity, uid, error),
                 "learned_moves", error);
}

gboolean
ss_journal_is_move_learned (SsJournal   *self,
                            const char  *account,
                            const char  *folder,
                            guint32      uidvalidity,
                            guint32      uid,
                            gboolean    *learned,
                            GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = statement (self, "SELECT 1 FROM learned_moves WHERE account = ?1 AND folder = ?2 "
                          "AND uidvalidity = ?3 AND uid = ?4",
                    account, folder, uidvalidity, uid, error);
  if (!first_row (self, stmt, "learned_moves", learned, error))
    return FALSE;
  _ss_journal_release (stmt);
  return TRUE;
}

gboolean
ss_journal_is_own_arrival (SsJournal   *self,
                           const char  *account,
                           const char  *folder,
                           guint32      uidvalidity,
                           guint32      uid,
                           gboolean    *own,
                           GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = statement (self, "SELECT 1 FROM history WHERE account = ?1 AND destination = ?2 "
                          "AND dest_uid = ?3 AND dest_uidvalidity = ?4",
                    account, folder, uid, uidvalidity, error);
  if (!first_row (self, stmt, "history", own, error))
    return FALSE;
  _ss_journal_release (stmt);
  return TRUE;
}

gboolean
ss_journal_last_destination (SsJournal   *self,
                             const char  *account,
                             const char  *message_id,
                             char       **destination,
                             guint32     *dest_uid,
                             GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean row = FALSE;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  *destination = NULL;
  *dest_uid = 0;
  if (message_id == NULL || *message_id == '\0')
    return TRUE;
  stmt = statement (self, "SELECT destination, dest_uid FROM history WHERE account = ?1 "
                          "AND message_id = ?2 ORDER BY id DESC LIMIT 1",
                    account, message_id, 0, 0, error);
  if (!first_row (self, stmt, "history", &row, error))
    return FALSE;
  if (row)
    {
      *destination = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *dest_uid = (guint32) sqlite3_column_int64 (stmt, 1);
    }
  _ss_journal_release (stmt);
  return TRUE;
}
