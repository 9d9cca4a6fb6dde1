/* ss-sender-lists.c: per-account allow and block lists of sender addresses.
 *
 * Saved as a small key file next to the journal, rewritten whole with an atomic rename
 * (a crash mid-write leaves the previous file). Settings entries are kept apart. The last
 * marks are saved too, so that Undo after a restart still restores the list. */
#define G_LOG_DOMAIN "ss-lists"

#include "config.h"

#include "ss-sender-lists.h"

#include <gmime/gmime.h>
#include <glib/gstdio.h>

#define GROUP_LISTS  "lists"
#define GROUP_SENT   "sent"
#define GROUP_MARKS  "marks"
#define MAX_MARKS    64

typedef struct
{
  char           *key;        /* folder \n uidvalidity \n uid */
  char           *address;
  SsSenderStatus  added;
  SsSenderStatus  previous;
} Mark;

struct _SsSenderLists
{
  GObject      parent_instance;

  GMutex       mutex;
  char        *path;          /* NULL: in memory */
  GHashTable  *saved;         /* address → SsSenderStatus */
  GHashTable  *settings;      /* address → SsSenderStatus */
  GQueue       marks;         /* Mark*, newest first */
  guint32      sent_uidvalidity;
  guint32      sent_last_uid;
  GStatBuf     seen;          /* the file as last loaded or saved */
  gboolean     seen_ok;
};

G_DEFINE_FINAL_TYPE (SsSenderLists, ss_sender_lists, G_TYPE_OBJECT)

SsVerdictKind
ss_sender_lists_rule (SsSenderStatus  status,
                      double          score,
                      double          certain_spam,
                      SsVerdictKind   verdict,
                      const char    **rule)
{
  const char *applied = NULL;

  if (verdict == SS_VERDICT_SPAM || verdict == SS_VERDICT_HAM ||
      verdict == SS_VERDICT_UNCERTAIN)
    {
      if (status == SS_SENDER_BLOCKED)
        {
          applied = SS_SENDER_RULE_BLOCK;
          verdict = SS_VERDICT_SPAM;
        }
      else if (status == SS_SENDER_ALLOWED && score >= certain_spam)
        {
          applied = SS_SENDER_RULE_SPOOFED;
          verdict = SS_VERDICT_SPAM;
        }
      else if (status == SS_SENDER_ALLOWED)
        {
          applied = SS_SENDER_RULE_ALLOW;
          verdict = SS_VERDICT_HAM;
        }
    }
  if (rule != NULL)
    *rule = applied;
  return verdict;
}

/* ---------------------------------------------------------------------------------------- */
/* Addresses                                                                                 */

static char *
normalize (const char *address)
{
  g_autofree char *trimmed = NULL;

  if (address == NULL)
    return NULL;
  trimmed = g_strstrip (g_strdup (address));
  if (*trimmed == '\0' || strchr (trimmed, '@') == NULL || strchr (trimmed, '\n') != NULL)
    return NULL;
  return g_utf8_strdown (trimmed, -1);
}

static void
collect_addresses (InternetAddressList *list,
                   GPtrArray           *out)
{
  int n = list != NULL ? internet_address_list_length (list) : 0;

  for (int i = 0; i < n; i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (ia))
        {
          char *addr = normalize (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia)));
          if (addr != NULL)
            g_ptr_array_add (out, addr);
        }
      else if (INTERNET_ADDRESS_IS_GROUP (ia))
        collect_addresses (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia)), out);
    }
}

char **
ss_sender_addresses (const char *header)
{
  GPtrArray *out = g_ptr_array_new ();
  InternetAddressList *list = NULL;

  if (header != NULL && *header != '\0')
    list = internet_address_list_parse (NULL, header);
  collect_addresses (list, out);
  g_clear_object (&list);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

char *
ss_sender_address (const char *header)
{
  g_auto(GStrv) all = ss_sender_addresses (header);

  return all[0] != NULL ? g_strdup (all[0]) : NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* The object                                                                                */

static void
mark_free (Mark *mark)
{
  g_free (mark->key);
  g_free (mark->address);
  g_free (mark);
}

static void
ss_sender_lists_finalize (GObject *object)
{
  SsSenderLists *self = (SsSenderLists *) object;

  g_free (self->path);
  g_hash_table_unref (self->saved);
  g_hash_table_unref (self->settings);
  g_queue_clear_full (&self->marks, (GDestroyNotify) mark_free);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (ss_sender_lists_parent_class)->finalize (object);
}

static void
ss_sender_lists_class_init (SsSenderListsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ss_sender_lists_finalize;
}

static void
ss_sender_lists_init (SsSenderLists *self)
{
  g_mutex_init (&self->mutex);
  self->saved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
load_list (GKeyFile       *file,
           const char     *key,
           SsSenderStatus  status,
           GHashTable     *into)
{
  g_auto(GStrv) entries = g_key_file_get_string_list (file, GROUP_LISTS, key, NULL, NULL);

  for (guint i = 0; entries != NULL && entries[i] != NULL; i++)
    {
      char *addr = normalize (entries[i]);
      if (addr != NULL)
        g_hash_table_insert (into, addr, GINT_TO_POINTER (status));
    }
}

static char *
mark_key (const char *folder,
          guint32     uidvalidity,
          guint32     uid)
{
  return g_strdup_printf ("%s\n%u\n%u", folder, uidvalidity, uid);
}

/* A mark as one list entry: "uidvalidity<TAB>uid<TAB>added<TAB>previous<TAB>address<TAB>folder"
 * (the folder last: it is the only part that may hold anything). */
static char *
mark_to_string (const Mark *mark)
{
  g_auto(GStrv) key = g_strsplit (mark->key, "\n", 3);

  return g_strdup_printf ("%s\t%s\t%d\t%d\t%s\t%s", key[1], key[2], mark->added,
                          mark->previous, mark->address, key[0]);
}

static Mark *
mark_from_string (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "\t", 6);
  g_autofree char *address = NULL;
  guint64 uidvalidity, uid;
  gint64 added, previous;
  Mark *mark;

  if (g_strv_length (parts) != 6 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT32, &uidvalidity, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &uid, NULL) ||
      !g_ascii_string_to_signed (parts[2], 10, SS_SENDER_UNLISTED, SS_SENDER_BLOCKED, &added,
                                 NULL) ||
      !g_ascii_string_to_signed (parts[3], 10, SS_SENDER_UNLISTED, SS_SENDER_BLOCKED,
                                 &previous, NULL) ||
      (address = normalize (parts[4])) == NULL || *parts[5] == '\0')
    return NULL;
  mark = g_new0 (Mark, 1);
  mark->key = mark_key (parts[5], (guint32) uidvalidity, (guint32) uid);
  mark->address = g_steal_pointer (&address);
  mark->added = (SsSenderStatus) added;
  mark->previous = (SsSenderStatus) previous;
  return mark;
}

/* Newest first, as saved; entries that do not parse are dropped. */
static void
load_marks (SsSenderLists *self,
            GKeyFile      *file)
{
  g_auto(GStrv) entries = g_key_file_get_string_list (file, GROUP_MARKS, "marks", NULL, NULL);

  for (guint i = 0; entries != NULL && entries[i] != NULL; i++)
    {
      Mark *mark = mark_from_string (entries[i]);

      if (mark != NULL && g_queue_get_length (&self->marks) < MAX_MARKS)
        g_queue_push_tail (&self->marks, mark);
      else if (mark != NULL)
        mark_free (mark);
    }
}

static void
note_file (SsSenderLists *self)
{
  self->seen_ok = g_stat (self->path, &self->seen) == 0;
}

/* (Re)reads the file into saved; called with the mutex held (or before it is shared). */
static gboolean
load (SsSenderLists  *self,
      GError        **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  g_hash_table_remove_all (self->saved);
  g_queue_clear_full (&self->marks, (GDestroyNotify) mark_free);
  self->sent_uidvalidity = self->sent_last_uid = 0;
  note_file (self);
  if (!g_key_file_load_from_file (file, self->path, G_KEY_FILE_NONE, &local_error))
    {
      g_autofree char *aside = NULL;

      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      if (local_error->domain != G_KEY_FILE_ERROR)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      aside = g_strdup_printf ("%s.corrupt-%" G_GINT64_FORMAT, self->path,
                               g_get_real_time () / G_USEC_PER_SEC);
      g_message ("%s: %s; moved to %s", self->path, local_error->message, aside);
      g_rename (self->path, aside);
      note_file (self);
      return TRUE;
    }
  load_marks (self, file);
  load_list (file, "allow", SS_SENDER_ALLOWED, self->saved);
  load_list (file, "block", SS_SENDER_BLOCKED, self->saved);
  self->sent_uidvalidity = (guint32) g_key_file_get_uint64 (file, GROUP_SENT, "uidvalidity", NULL);
  self->sent_last_uid = (guint32) g_key_file_get_uint64 (file, GROUP_SENT, "last-uid", NULL);
  return TRUE;
}

/* Another process (the app's list editor, or the engine) saved the file: read it again.
 * Called with the mutex held. */
static void
reload_if_changed (SsSenderLists *self)
{
  GStatBuf now;
  gboolean now_ok;
  g_autoptr(GError) error = NULL;

  if (self->path == NULL)
    return;
  now_ok = g_stat (self->path, &now) == 0;
  if (now_ok == self->seen_ok &&
      (!now_ok || (now.st_ino == self->seen.st_ino && now.st_size == self->seen.st_size &&
                   now.st_mtim.tv_sec == self->seen.st_mtim.tv_sec &&
                   now.st_mtim.tv_nsec == self->seen.st_mtim.tv_nsec)))
    return;
  if (!load (self, &error))
    g_message ("%s", error->message);
}

SsSenderLists *
ss_sender_lists_open (const char  *path,
                      GError     **error)
{
  g_autoptr(SsSenderLists) self = g_object_new (SS_TYPE_SENDER_LISTS, NULL);

  if (path == NULL)
    return g_steal_pointer (&self);
  self->path = g_strdup (path);
  if (!load (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

char *
ss_sender_lists_path_for (const char *journal_path,
                          const char *account)
{
  g_autofree char *dir = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *name = NULL;

  if (journal_path == NULL)
    return NULL;
  dir = g_path_get_dirname (journal_path);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, account, -1);
  name = g_strdup_printf ("lists-%.16s.ini", hash);
  return g_build_filename (dir, name, NULL);
}

static void
parse_setting (GHashTable     *into,
               const char     *text,
               SsSenderStatus  status)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    return;
  parts = g_regex_split_simple ("[,;\\s]+", text, 0, 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *addr = normalize (parts[i]);
      if (addr == NULL)
        continue;
      /* Block wins between equals. */
      if (status == SS_SENDER_ALLOWED && g_hash_table_contains (into, addr))
        g_free (addr);
      else
        g_hash_table_insert (into, addr, GINT_TO_POINTER (status));
    }
}

void
ss_sender_lists_set_settings (SsSenderLists *self,
                              const char    *allow,
                              const char    *block)
{
  g_return_if_fail (SS_IS_SENDER_LISTS (self));

  g_mutex_lock (&self->mutex);
  g_hash_table_remove_all (self->settings);
  parse_setting (self->settings, block, SS_SENDER_BLOCKED);
  parse_setting (self->settings, allow, SS_SENDER_ALLOWED);
  g_mutex_unlock (&self->mutex);
}

static SsSenderStatus
combine (SsSenderStatus a,
         SsSenderStatus b)
{
  if (a == SS_SENDER_BLOCKED || b == SS_SENDER_BLOCKED)
    return SS_SENDER_BLOCKED;
  return MAX (a, b);
}

static SsSenderStatus
lookup_key (SsSenderLists *self,
            const char    *key)
{
  return combine (GPOINTER_TO_INT (g_hash_table_lookup (self->saved, key)),
                  GPOINTER_TO_INT (g_hash_table_lookup (self->settings, key)));
}

SsSenderStatus
ss_sender_lists_lookup (SsSenderLists *self,
                        const char    *address)
{
  g_autofree char *addr = normalize (address);
  SsSenderStatus status;

  g_return_val_if_fail (SS_IS_SENDER_LISTS (self), SS_SENDER_UNLISTED);

  if (addr == NULL)
    return SS_SENDER_UNLISTED;
  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  status = lookup_key (self, addr);
  if (status == SS_SENDER_UNLISTED)
    status = lookup_key (self, strrchr (addr, '@'));
  g_mutex_unlock (&self->mutex);
  return status;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char **
saved_list (SsSenderLists  *self,
            SsSenderStatus  status)
{
  GHashTableIter iter;
  gpointer key, value;
  GPtrArray *out = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->saved);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (GPOINTER_TO_INT (value) == (int) status)
      g_ptr_array_add (out, g_strdup (key));
  g_ptr_array_sort (out, compare_strings);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* Called with the mutex held. */
static gboolean
save (SsSenderLists  *self,
      GError        **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_auto(GStrv) allow = NULL;
  g_auto(GStrv) block = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  gsize len = 0;

  if (self->path == NULL)
    return TRUE;
  allow = saved_list (self, SS_SENDER_ALLOWED);
  block = saved_list (self, SS_SENDER_BLOCKED);
  g_key_file_set_string_list (file, GROUP_LISTS, "allow", (const char * const *) allow,
                              g_strv_length (allow));
  g_key_file_set_string_list (file, GROUP_LISTS, "block", (const char * const *) block,
                              g_strv_length (block));
  g_key_file_set_uint64 (file, GROUP_SENT, "uidvalidity", self->sent_uidvalidity);
  g_key_file_set_uint64 (file, GROUP_SENT, "last-uid", self->sent_last_uid);
  if (self->marks.length > 0)
    {
      g_autoptr(GPtrArray) marks = g_ptr_array_new_with_free_func (g_free);

      for (GList *l = self->marks.head; l != NULL; l = l->next)
        g_ptr_array_add (marks, mark_to_string (l->data));
      g_key_file_set_string_list (file, GROUP_MARKS, "marks",
                                  (const char * const *) marks->pdata, marks->len);
    }
  data = g_key_file_to_data (file, &len, NULL);
  dir = g_path_get_dirname (self->path);
  g_mkdir_with_parents (dir, 0700);
  if (!g_file_set_contents_full (self->path, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE, 0600, error))
    return FALSE;
  note_file (self);
  return TRUE;
}

static void
set_saved (SsSenderLists  *self,
           const char     *addr,
           SsSenderStatus  status)
{
  if (status == SS_SENDER_UNLISTED)
    g_hash_table_remove (self->saved, addr);
  else
    g_hash_table_insert (self->saved, g_strdup (addr), GINT_TO_POINTER (status));
}

gboolean
ss_sender_lists_add (SsSenderLists  *self,
                     const char     *address,
                     SsSenderStatus  status,
                     SsSenderStatus *previous,
                     GError        **error)
{
  g_autofree char *addr = normalize (address);
  gboolean ok;

  g_return_val_if_fail (SS_IS_SENDER_LISTS (self), FALSE);

  if (addr == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not an e-mail address", address != NULL ? address : "");
      return FALSE;
    }
  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  if (previous != NULL)
    *previous = GPOINTER_TO_INT (g_hash_table_lookup (self->saved, addr));
  set_saved (self, addr, status);
  ok = save (self, error);
  g_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
ss_sender_lists_restore (SsSenderLists  *self,
                         const char     *address,
                         SsSenderStatus  status,
                         GError        **error)
{
  g_autofree char *addr = normalize (address);
  gboolean ok;

  g_return_val_if_fail (SS_IS_SENDER_LISTS (self), FALSE);

  if (addr == NULL)
    return TRUE;
  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  set_saved (self, addr, status);
  ok = save (self, error);
  g_mutex_unlock (&self->mutex);
  return ok;
}

char **
ss_sender_lists_dup_saved (SsSenderLists  *self,
                           SsSenderStatus  status)
{
  char **out;

  g_return_val_if_fail (SS_IS_SENDER_LISTS (self), NULL);

  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  out = saved_list (self, status);
  g_mutex_unlock (&self->mutex);
  return out;
}

/* ---------------------------------------------------------------------------------------- */
/* Marks and Undo                                                                            */

void
ss_sender_lists_note_mark (SsSenderLists  *self,
                           const char     *folder,
                           guint32         uidvalidity,
                           guint32         uid,
                           const char     *address,
                           SsSenderStatus  added,
                           SsSenderStatus  previous)
{
  g_autoptr(GError) error = NULL;
  Mark *mark;

  g_return_if_fail (SS_IS_SENDER_LISTS (self));

  mark = g_new0 (Mark, 1);
  mark->key = mark_key (folder, uidvalidity, uid);
  mark->address = g_strdup (address);
  mark->added = added;
  mark->previous = previous;
  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  g_queue_push_head (&self->marks, mark);
  while (g_queue_get_length (&self->marks) > MAX_MARKS)
    mark_free (g_queue_pop_tail (&self->marks));
  if (!save (self, &error))
    g_message ("%s: %s", self->path, error->message);   /* Undo then works until a restart */
  g_mutex_unlock (&self->mutex);
}

gboolean
ss_sender_lists_undo_mark (SsSenderLists  *self,
                           const char     *folder,
                           guint32         uidvalidity,
                           guint32         uid,
                           SsSenderStatus  status,
                           GError        **error)
{
  g_autofree char *key = mark_key (folder, uidvalidity, uid);
  Mark *found = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (SS_IS_SENDER_LISTS (self), FALSE);

  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  for (GList *l = self->marks.head; l != NULL; l = l->next)
    {
      Mark *mark = l->data;

      if (strcmp (mark->key, key) == 0 && mark->added != status)
        {
          found = mark;
          g_queue_delete_link (&self->marks, l);
          break;
        }
    }
  if (found != NULL)
    {
      set_saved (self, found->address, found->previous);
      ok = save (self, error);
      mark_free (found);
    }
  g_mutex_unlock (&self->mutex);
  return found != NULL && ok;
}

/* ---------------------------------------------------------------------------------------- */
/* \Sent                                                                                     */

void
ss_sender_lists_get_sent_mark (SsSenderLists *self,
                               guint32       *uidvalidity,
                               guint32       *last_uid)
{
  g_return_if_fail (SS_IS_SENDER_LISTS (self));

  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  *uidvalidity = self->sent_uidvalidity;
  *last_uid = self->sent_last_uid;
  g_mutex_unlock (&self->mutex);
}

gboolean
ss_sender_lists_add_sent (SsSenderLists  *self,
                          char          **addresses,
                          guint32         uidvalidity,
                          guint32         last_uid,
                          GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (SS_IS_SENDER_LISTS (self), FALSE);

  g_mutex_lock (&self->mutex);
  reload_if_changed (self);
  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++)
    {
      g_autofree char *addr = normalize (addresses[i]);

      /* A block the user chose stays. */
      if (addr != NULL && !g_hash_table_contains (self->saved, addr))
        set_saved (self, addr, SS_SENDER_ALLOWED);
    }
  self->sent_uidvalidity = uidvalidity;
  self->sent_last_uid = last_uid;
  ok = save (self, error);
  g_mutex_unlock (&self->mutex);
  return ok;
}
