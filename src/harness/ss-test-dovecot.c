/* ss-test-dovecot.c: a real dovecot on loopback in a temporary directory (generated
 * config, test CA, one maildir user), and direct access to its Maildir++ store. */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#include "ss-test-servers.h"
#include "ss-harness-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

struct _SsTestDovecot
{
  GSubprocess *process;
  char        *dir;
  char        *maildir;
  char        *ca_file;
  char        *log_file;
  guint16      imap_port;
  guint16      imaps_port;
  char         delimiter;
  gboolean     chown_files;
  uid_t        mail_uid;
  gid_t        mail_gid;
  guint        counter;    /* makes maildir file names unique */
  char        *internal_user;
  char        *login_user;
  char        *internal_group;  /* NULL: dovecot's default */
  SsTestOAuth *oauth;           /* (nullable) options->oauth2 */
};

/* dovecot 2.3.19's post-login capabilities with mailbox_list_index = no (which drops NOTIFY);
 * SPECIAL-USE is added when a special-use mailbox is configured */
static const char * const dovecot_capabilities[] = {
  "IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "SORT", "SORT=DISPLAY",
  "THREAD=REFERENCES", "THREAD=REFS", "THREAD=ORDEREDSUBJECT", "MULTIAPPEND", "URL-PARTIAL",
  "CATENATE", "UNSELECT", "CHILDREN", "NAMESPACE", "UIDPLUS", "LIST-EXTENDED", "I18NLEVEL=1",
  "CONDSTORE", "QRESYNC", "ESEARCH", "ESORT", "SEARCHRES", "WITHIN", "CONTEXT=SEARCH",
  "LIST-STATUS", "BINARY", "MOVE", "SNIPPET=FUZZY", "PREVIEW=FUZZY", "PREVIEW", "STATUS=SIZE",
  "SAVEDATE", "LITERAL+", NULL
};

/* ---------------------------------------------------------------------------------------- */
/* Maildir++ folder names */

static void
append_mbase64 (GString         *out,
                const gunichar2 *utf16,
                glong            n_units)
{
  g_autofree guchar *bytes = g_new (guchar, n_units * 2);
  g_autofree char *b64 = NULL;

  for (glong i = 0; i < n_units; i++)
    {
      bytes[2 * i] = utf16[i] >> 8;
      bytes[2 * i + 1] = utf16[i] & 0xff;
    }
  b64 = g_base64_encode (bytes, n_units * 2);
  g_strdelimit (b64, "/", ',');
  g_string_append_c (out, '&');
  g_string_append_len (out, b64, strcspn (b64, "="));
  g_string_append_c (out, '-');
}

static gboolean
is_mutf7_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

/* RFC 3501 modified UTF-7, as dovecot names maildir++ folders by default. */
static void
append_mutf7 (GString    *out,
              const char *utf8)
{
  const char *p = utf8;

  while (*p != '\0')
    {
      const char *start = p;
      g_autofree gunichar2 *utf16 = NULL;
      glong n_units = 0;

      if (is_mutf7_direct (g_utf8_get_char (p)))
        {
          g_string_append (out, *p == '&' ? "&-" : (char[]) { *p, '\0' });
          p++;
          continue;
        }
      while (*p != '\0' && !is_mutf7_direct (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      utf16 = g_utf8_to_utf16 (start, p - start, NULL, &n_units, NULL);
      append_mbase64 (out, utf16, n_units);
    }
}

static gboolean
valid_component (const char *name)
{
  if (*name == '\0' || strchr (name, '.') != NULL || *name == '~')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* "Spam/False Positives" -> MAILDIR/.Spam.False Positives; "INBOX" -> MAILDIR. */
static char *
folder_path (SsTestDovecot *self,
             const char    *folder,
             GError       **error)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) name = g_string_new (NULL);

  if (g_ascii_strcasecmp (folder, "INBOX") == 0)
    return g_strdup (self->maildir);
  parts = g_strsplit (folder, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (!g_utf8_validate (parts[i], -1, NULL) || !valid_component (parts[i]))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "folder name not usable with maildir++: \"%s\"", folder);
          return NULL;
        }
      g_string_append_c (name, '.');
      append_mutf7 (name, parts[i]);
    }
  return g_build_filename (self->maildir, name->str, NULL);
}

static void
chown_mail (SsTestDovecot *self,
            const char    *path)
{
  if (self->chown_files && lchown (path, self->mail_uid, self->mail_gid) != 0)
    g_warning ("chown %s: %s", path, g_strerror (errno));
}

static gboolean
ensure_folder_dir (SsTestDovecot *self,
                   const char    *path,
                   GError       **error)
{
  static const char * const subdirs[] = { "cur", "new", "tmp" };
  g_autofree char *marker = g_build_filename (path, "maildirfolder", NULL);

  if (!ss_harness_make_dirs (path, error))
    return FALSE;
  chown_mail (self, path);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (!ss_harness_make_dirs (sub, error))
        return FALSE;
      chown_mail (self, sub);
    }
  if (g_strcmp0 (path, self->maildir) != 0 && !g_file_test (marker, G_FILE_TEST_EXISTS))
    {
      if (!ss_harness_write_file (marker, "", 0600, error))
        return FALSE;
      chown_mail (self, marker);
    }
  return TRUE;
}

gboolean
ss_test_dovecot_create_folder (SsTestDovecot *self,
                               const char    *folder,
                               GError       **error)
{
  g_autofree char *path = folder_path (self, folder, error);

  return path != NULL && ensure_folder_dir (self, path, error);
}

gboolean
ss_test_dovecot_folder_exists (SsTestDovecot *self,
                               const char    *folder)
{
  g_autofree char *path = folder_path (self, folder, NULL);
  g_autofree char *cur = path != NULL ? g_build_filename (path, "cur", NULL) : NULL;

  return cur != NULL && g_file_test (cur, G_FILE_TEST_IS_DIR);
}

/* ---------------------------------------------------------------------------------------- */
/* Maildir messages */

/* Letters only, each once, in ASCII order (as maildir requires). */
static char *
sort_flags (const char *flags)
{
  GString *sorted = g_string_new (NULL);

  for (int c = 'A'; c <= 'z'; c++)
    if (g_ascii_isalpha (c) && flags != NULL && strchr (flags, c) != NULL)
      g_string_append_c (sorted, c);
  return g_string_free (sorted, FALSE);
}

static char *
unique_name (SsTestDovecot *self,
             gint64         seconds)
{
  g_autofree char *host = g_strdup (g_get_host_name ());
  gint64 now = g_get_real_time ();

  g_strdelimit (host, "/:.", '_');
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dQ%uR%08x.%s", seconds,
                          (int) (now % G_USEC_PER_SEC), (int) getpid (), ++self->counter,
                          g_random_int (), host);
}

static gboolean
set_mtime (const char *path,
           gint64      seconds,
           GError    **error)
{
  struct timespec times[2] = { { seconds, 0 }, { seconds, 0 } };

  if (utimensat (AT_FDCWD, path, times, 0) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "utimensat %s: %s", path,
                   g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_test_dovecot_add_message (SsTestDovecot *self,
                             const char    *folder,
                             GBytes        *message,
                             const char    *flags,
                             gint64         internal_date,
                             GError       **error)
{
  g_autofree char *dir = folder_path (self, folder, error);
  g_autofree char *sorted = sort_flags (flags);
  gint64 date = internal_date != 0 ? internal_date : g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *base = unique_name (self, date);
  g_autofree char *cur_name = g_strdup_printf ("%s:2,%s", base, sorted);
  g_autofree char *tmp_path = NULL;
  g_autofree char *cur_path = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);

  if (dir == NULL || !ensure_folder_dir (self, dir, error))
    return FALSE;
  tmp_path = g_build_filename (dir, "tmp", base, NULL);
  cur_path = g_build_filename (dir, "cur", cur_name, NULL);
  if (!g_file_set_contents_full (tmp_path, data, len, G_FILE_SET_CONTENTS_NONE, 0600, error)
      || !set_mtime (tmp_path, date, error))
    return FALSE;
  chown_mail (self, tmp_path);
  if (g_rename (tmp_path, cur_path) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "rename to %s: %s",
                   cur_path, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

void
ss_test_stored_message_free (SsTestStoredMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->content, g_bytes_unref);
  g_free (message->flags);
  g_strfreev (message->keywords);
  g_free (message->path);
  g_free (message);
}

/* dovecot-keywords: "N name" lines; keyword N is the maildir flag letter 'a' + N. */
static GStrv
read_keyword_names (const char *folder_dir)
{
  g_autofree char *path = g_build_filename (folder_dir, "dovecot-keywords", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GStrv names = g_new0 (char *, 27);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return names;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *end = NULL;
      guint64 index = g_ascii_strtoull (lines[i], &end, 10);

      if (end != lines[i] && *end == ' ' && index < 26 && names[index] == NULL)
        names[index] = g_strdup (end + 1);
    }
  return names;
}

static SsTestStoredMessage *
stored_message_new (GBytes     *content,
                    const char *file_name,
                    GStrv       keyword_names)
{
  SsTestStoredMessage *message = g_new0 (SsTestStoredMessage, 1);
  const char *info = g_strrstr (file_name, ":2,");
  g_autoptr(GStrvBuilder) keywords = g_strv_builder_new ();
  GString *flags = g_string_new (NULL);

  for (const char *p = info != NULL ? info + 3 : ""; *p != '\0'; p++)
    {
      if (g_ascii_isupper (*p))
        g_string_append_c (flags, *p);
      else if (g_ascii_islower (*p) && keyword_names[*p - 'a'] != NULL)
        g_strv_builder_add (keywords, keyword_names[*p - 'a']);
      else if (g_ascii_islower (*p))
        {
          g_autofree char *unknown = g_strdup_printf ("(unknown keyword %c)", *p);

          g_strv_builder_add (keywords, unknown);
        }
    }
  message->content = g_bytes_ref (content);
  message->flags = g_string_free (flags, FALSE);
  message->keywords = g_strv_builder_end (keywords);
  return message;
}

/* FALSE if a file vanished under us (dovecot renamed it): the caller lists again. */
static gboolean
list_subdir (const char *folder_dir,
             const char *sub,
             GStrv       keyword_names,
             GPtrArray  *messages)
{
  g_autofree char *path = g_build_filename (folder_dir, sub, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *data = NULL;
      g_autoptr(GBytes) content = NULL;
      SsTestStoredMessage *message;
      gsize len = 0;

      if (name[0] == '.')
        continue;
      if (!g_file_get_contents (file, &data, &len, NULL))
        return FALSE;
      content = g_bytes_new_take (g_steal_pointer (&data), len);
      message = stored_message_new (content, name, keyword_names);
      message->path = g_steal_pointer (&file);
      g_ptr_array_add (messages, message);
    }
  return TRUE;
}

GPtrArray *
ss_test_dovecot_list_messages (SsTestDovecot *self,
                               const char    *folder)
{
  g_autofree char *dir = folder_path (self, folder, NULL);

  for (guint attempt = 0; attempt < 10; attempt++)
    {
      g_autoptr(GPtrArray) messages = NULL;
      g_auto(GStrv) keyword_names = NULL;

      messages = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_test_stored_message_free);
      if (dir == NULL)
        return g_steal_pointer (&messages);
      keyword_names = read_keyword_names (dir);
      if (list_subdir (dir, "new", keyword_names, messages)
          && list_subdir (dir, "cur", keyword_names, messages))
        return g_steal_pointer (&messages);
      g_usleep (10 * 1000);
    }
  g_error ("%s: files keep vanishing while listing", folder);
  return NULL;
}

guint
ss_test_dovecot_remove_message (SsTestDovecot *self,
                                const char    *folder,
                                GBytes        *content)
{
  g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (self, folder);
  guint n = 0;

  for (guint i = 0; i < stored->len; i++)
    {
      SsTestStoredMessage *m = g_ptr_array_index (stored, i);

      if (g_bytes_equal (m->content, content) && g_unlink (m->path) == 0)
        n++;
    }
  return n;
}

/* ---------------------------------------------------------------------------------------- */
/* dovecot */

static void
dovecot_free (SsTestDovecot *self)
{
  if (self == NULL)
    return;
  ss_harness_kill_group (self->process, self->imap_port);
  g_clear_object (&self->process);
  g_clear_pointer (&self->oauth, ss_test_oauth_stop);
  if (self->dir != NULL)
    ss_test_rmrf (self->dir);
  g_free (self->dir);
  g_free (self->maildir);
  g_free (self->ca_file);
  g_free (self->log_file);
  g_free (self->internal_user);
  g_free (self->login_user);
  g_free (self->internal_group);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestDovecot, dovecot_free)

static gboolean
make_certificates (const char *dir,
                   GError    **error)
{
  g_autofree char *ca_key = g_build_filename (dir, "ca.key", NULL);
  g_autofree char *ca_pem = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "server.key", NULL);
  g_autofree char *pem = g_build_filename (dir, "server.pem", NULL);
  const char * const ca_argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "3650",
    "-subj", "/CN=SpamSieve test CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL
  };
  const char * const server_argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", key, "-out", pem, "-days", "3650", "-subj", "/CN=localhost",
    "-CA", ca_pem, "-CAkey", ca_key,
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-addext", "basicConstraints=critical,CA:FALSE",
    "-addext", "extendedKeyUsage=serverAuth",
    "-addext", "keyUsage=critical,digitalSignature", NULL
  };

  if (!ss_harness_make_dirs (dir, error)
      || !ss_harness_run_program (ca_argv, NULL, NULL, error)
      || !ss_harness_run_program (server_argv, NULL, NULL, error))
    return FALSE;
  g_unlink (ca_key);
  return TRUE;
}

/* Accounts: as root, dovecot's own users and "nobody" for the mail; else all the caller. */
static gboolean
dovecot_users (SsTestDovecot *self,
               GError       **error)
{
  static const char * const internal[] = { "dovecot", UNPRIVILEGED_USER, NULL };
  static const char * const login[] = { "dovenull", UNPRIVILEGED_USER, NULL };

  if (geteuid () != 0)
    {
      self->mail_uid = getuid ();
      self->mail_gid = getgid ();
      self->internal_user = ss_harness_current_user_name ();
      self->login_user = ss_harness_current_user_name ();
      self->internal_group = ss_harness_current_group_name ();
      return TRUE;
    }
  self->chown_files = TRUE;
  self->internal_user = g_strdup (ss_harness_first_user (internal));
  self->login_user = g_strdup (ss_harness_first_user (login));
  return ss_harness_lookup_user (UNPRIVILEGED_USER, &self->mail_uid, &self->mail_gid, error);
}

static char *
capability_list (const SsTestDovecotOptions *options)
{
  g_autoptr(GString) caps = g_string_new (NULL);

  for (guint i = 0; dovecot_capabilities[i] != NULL; i++)
    {
      const char *cap = dovecot_capabilities[i];

      if ((options->no_move && strcmp (cap, "MOVE") == 0)
          || (options->no_idle && strcmp (cap, "IDLE") == 0))
        continue;
      g_string_append_printf (caps, "%s%s", caps->len > 0 ? " " : "", cap);
    }
  if (options->special_use_junk || options->special_use_sent)
    g_string_append (caps, " SPECIAL-USE");
  return g_string_free (g_steal_pointer (&caps), FALSE);
}

static void
append_config_global (GString                    *conf,
                      SsTestDovecot              *self,
                      const SsTestDovecotOptions *options)
{
  g_autofree char *instance = g_path_get_basename (self->dir);

  g_string_append_printf (conf,
    "# Generated by SpamSieve's test harness (tests/ss-test-servers.c)\n"
    "protocols = imap\n"
    "listen = 127.0.0.1\n"
    "base_dir = %s/run\n"
    "state_dir = %s/state\n"
    "instance_name = %s\n"
    "log_path = %s\n"
    "info_log_path = %s\n"
    "default_internal_user = %s\n"
    "default_login_user = %s\n"
    "first_valid_uid = 1\n"
    "first_valid_gid = 1\n"
    "ssl = yes\n"
    "ssl_cert = <%s/tls/server.pem\n"
    "ssl_key = <%s/tls/server.key\n"
    "ssl_min_protocol = TLSv1.2\n"
    "disable_plaintext_auth = %s\n"
    "auth_mechanisms = plain login%s\n"
    "auth_verbose = yes\n"
    "auth_failure_delay = 0\n"
    "mail_location = maildir:%s\n"
    "mail_fsync = never\n"
    "mailbox_list_index = no\n" /* else LIST misses folders made by add_message */
    "mail_max_userip_connections = 100\n",
    self->dir, self->dir, instance, self->log_file, self->log_file, self->internal_user,
    self->login_user, self->dir, self->dir, options->plaintext_ok ? "no" : "yes",
    options->oauth2 ? " xoauth2 oauthbearer" : "", self->maildir);
  if (self->internal_group != NULL)
    g_string_append_printf (conf, "default_internal_group = %s\n", self->internal_group);
  if (options->no_move || options->no_idle)
    {
      g_autofree char *caps = capability_list (options);

      g_string_append_printf (conf, "imap_capability = %s\n", caps);
    }
}

/* Dovecot counts loopback as secure: %c (TLS / secured) picks passwd.TLS or a nologin file. */
static void
append_config_auth (GString                    *conf,
                    SsTestDovecot              *self,
                    const SsTestDovecotOptions *options)
{
  if (self->oauth != NULL)
    g_string_append_printf (conf,
      "passdb {\n"
      "  driver = oauth2\n"
      "  mechanisms = xoauth2 oauthbearer\n"
      "  args = %s/dovecot-oauth2.conf.ext\n"
      "}\n", self->dir);
  g_string_append_printf (conf,
    "passdb {\n"
    "  driver = passwd-file\n"
    "  args = scheme=PLAIN %s/passwd%s\n"
    "}\n"
    "userdb {\n"
    "  driver = static\n"
    "  args = uid=%u gid=%u home=%s/home allow_all_users=yes\n"
    "}\n",
    self->dir, options->plaintext_ok ? "" : ".%c", (guint) self->mail_uid,
    (guint) self->mail_gid, self->dir);
}

static void
append_config_namespace (GString                    *conf,
                         const SsTestDovecotOptions *options)
{
  g_string_append_printf (conf,
    "namespace inbox {\n"
    "  inbox = yes\n"
    "  prefix =\n"
    "  separator = %c\n"
    "%s%s"
    "}\n",
    options->delimiter != 0 ? options->delimiter : '/',
    options->special_use_junk ? "  mailbox Junk {\n    special_use = \\Junk\n  }\n" : "",
    options->special_use_sent ? "  mailbox Sent {\n    special_use = \\Sent\n  }\n" : "");
}

static void
append_config_services (GString *conf,
                        guint16  imap_port,
                        guint16  imaps_port)
{
  g_string_append_printf (conf,
    "service imap-login {\n"
    "  inet_listener imap {\n"
    "    address = 127.0.0.1\n"
    "    port = %u\n"
    "  }\n"
    "  inet_listener imaps {\n"
    "    address = 127.0.0.1\n"
    "    port = %u\n"
    "    ssl = yes\n"
    "  }\n"
    "%s"
    "}\n",
    imap_port, imaps_port, geteuid () == 0 ? "" : "  chroot =\n");
  /* no auth penalty: failed-login tests would wait 2, 4, 8, 15 s */
  g_string_append_printf (conf,
    "service anvil {\n"
    "  unix_listener anvil-auth-penalty {\n"
    "    mode = 0\n"
    "  }\n"
    "%s"
    "}\n",
    geteuid () == 0 ? "" : "  chroot =\n");
}

static gboolean
write_dovecot_config (SsTestDovecot              *self,
                      const SsTestDovecotOptions *options,
                      const char                 *path,
                      GError                    **error)
{
  g_autoptr(GString) conf = g_string_new (NULL);

  append_config_global (conf, self, options);
  append_config_auth (conf, self, options);
  append_config_namespace (conf, options);
  append_config_services (conf, self->imap_port, self->imaps_port);
  return ss_harness_write_file (path, conf->str, 0644, error);
}

static gboolean
write_passwd_files (SsTestDovecot              *self,
                    const SsTestDovecotOptions *options,
                    GError                    **error)
{
  static const char *const refused[] = { "passwd.secured", "passwd." };
  const char *password = options->password != NULL ? options->password : IMAP_PASSWORD;
  g_autofree char *ok = g_strdup_printf (IMAP_USER ":{PLAIN}%s::::::\n", password);
  g_autofree char *no = g_strdup_printf (IMAP_USER ":{PLAIN}%s::::::nologin=y "
                                         "reason=Plaintext_authentication_disallowed_without_TLS\n",
                                         password);
  g_autofree char *plain = g_build_filename (self->dir, "passwd", NULL);
  g_autofree char *tls = g_build_filename (self->dir, "passwd.TLS", NULL);

  if (!ss_harness_write_file (plain, ok, 0644, error)
      || !ss_harness_write_file (tls, ok, 0644, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *path = g_build_filename (self->dir, refused[i], NULL);

      if (!ss_harness_write_file (path, no, 0644, error))
        return FALSE;
    }
  return TRUE;
}

/* The introspection endpoint and the passdb's settings for it. */
static gboolean
start_oauth (SsTestDovecot  *self,
             GError        **error)
{
  g_autofree char *path = g_build_filename (self->dir, "dovecot-oauth2.conf.ext", NULL);
  g_autofree char *conf = NULL;

  self->oauth = ss_test_oauth_start (IMAP_USER, error);
  if (self->oauth == NULL)
    return FALSE;
  conf = g_strdup_printf ("introspection_mode = post\n"
                          "introspection_url = http://127.0.0.1:%u/introspect\n"
                          "force_introspection = yes\n"
                          "username_attribute = username\n"
                          "active_attribute = active\n"
                          "active_value = true\n",
                          ss_test_oauth_get_port (self->oauth));
  return ss_harness_write_file (path, conf, 0644, error);
}

void
ss_test_dovecot_set_oauth_tokens (SsTestDovecot      *self,
                                  const char * const *tokens)
{
  g_return_if_fail (self->oauth != NULL);
  ss_test_oauth_set_tokens (self->oauth, tokens);
}

guint
ss_test_dovecot_get_oauth_requests (SsTestDovecot *self,
                                    guint         *n_active)
{
  g_return_val_if_fail (self->oauth != NULL, 0);
  return ss_test_oauth_get_requests (self->oauth, n_active);
}

static gboolean
prepare_dovecot_dir (SsTestDovecot              *self,
                     const SsTestDovecotOptions *options,
                     GError                    **error)
{
  g_autofree char *tls = g_build_filename (self->dir, "tls", NULL);
  g_autofree char *home = g_build_filename (self->dir, "home", NULL);

  /* dovecot's unprivileged processes must reach Maildir and the sockets */
  if (geteuid () == 0 && g_chmod (self->dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "chmod %s failed", self->dir);
      return FALSE;
    }
  if (options->oauth2 && !start_oauth (self, error))
    return FALSE;
  if (!dovecot_users (self, error)
      || !make_certificates (tls, error)
      || !write_passwd_files (self, options, error)
      || !ss_harness_make_dirs (home, error)
      || !ensure_folder_dir (self, self->maildir, error))
    return FALSE;
  chown_mail (self, home);
  if (!options->no_unfiltered && !ss_test_dovecot_create_folder (self, "Unfiltered", error))
    return FALSE;
  if (options->special_use_sent && !ss_test_dovecot_create_folder (self, "Sent", error))
    return FALSE;
  return !options->special_use_junk || ss_test_dovecot_create_folder (self, "Junk", error);
}

static gboolean
pick_two_ports (SsTestDovecot *self,
                GError       **error)
{
  do
    {
      self->imap_port = ss_test_pick_free_port (error);
      self->imaps_port = ss_test_pick_free_port (error);
    }
  while (self->imap_port != 0 && self->imap_port == self->imaps_port);
  return self->imap_port != 0 && self->imaps_port != 0;
}

/* One try on fresh ports; *retry says whether a port was taken meanwhile. */
static gboolean
launch_dovecot (SsTestDovecot              *self,
                const SsTestDovecotOptions *options,
                gboolean                   *retry,
                GError                    **error)
{
  g_autofree char *conf = g_build_filename (self->dir, "dovecot.conf", NULL);
  g_autofree char *out = g_build_filename (self->dir, "dovecot.out", NULL);
  const char * const argv[] = { DOVECOT_PROGRAM, "-F", "-c", conf, NULL };
  RunAs run_as = { .new_group = TRUE, .outlive_thread = options->outlive_thread };

  *retry = FALSE;
  if (!pick_two_ports (self, error) || !write_dovecot_config (self, options, conf, error))
    return FALSE;
  self->process = ss_harness_spawn (argv, out, &run_as, NULL, error);
  if (self->process == NULL)
    return FALSE;
  if (ss_harness_wait_ready (self->process, ss_harness_probe_imap_greeting, self->imap_port,
                             DOVECOT_START_MS, 10, error)
      && ss_harness_wait_ready (self->process, ss_harness_probe_tcp, self->imaps_port,
                                DOVECOT_START_MS, 10, error))
    return TRUE;
  ss_harness_kill_group (self->process, self->imap_port);
  g_clear_object (&self->process);
  *retry = ss_harness_file_contains (self->log_file, "Address already in use")
           || ss_harness_file_contains (out, "Address already in use");
  return FALSE;
}

SsTestDovecot *
ss_test_dovecot_start (const SsTestDovecotOptions *options,
                       GError                    **error)
{
  static const SsTestDovecotOptions defaults = { 0 };
  g_autoptr(SsTestDovecot) self = g_new0 (SsTestDovecot, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *out = NULL;
  gboolean retry = TRUE;

  options = options != NULL ? options : &defaults;
  self->delimiter = options->delimiter != 0 ? options->delimiter : '/';
  g_return_val_if_fail (self->delimiter == '/' || self->delimiter == '.', NULL);
  self->dir = g_dir_make_tmp ("spamsieve-dovecot-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;
  self->maildir = g_build_filename (self->dir, "Maildir", NULL);
  self->ca_file = g_build_filename (self->dir, "tls", "ca.pem", NULL);
  self->log_file = g_build_filename (self->dir, "dovecot.log", NULL);
  out = g_build_filename (self->dir, "dovecot.out", NULL);
  if (!prepare_dovecot_dir (self, options, error))
    return NULL;
  for (guint i = 0; retry && i < START_ATTEMPTS; i++)
    {
      g_clear_error (&local_error);
      if (launch_dovecot (self, options, &retry, &local_error))
        return g_steal_pointer (&self);
    }
  ss_harness_prefix_with_log (&local_error, "dovecot did not start", self->log_file, out);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

void
ss_test_dovecot_stop (SsTestDovecot *self)
{
  dovecot_free (self);
}

guint16
ss_test_dovecot_get_imap_port (SsTestDovecot *self)
{
  return self->imap_port;
}

guint16
ss_test_dovecot_get_imaps_port (SsTestDovecot *self)
{
  return self->imaps_port;
}

const char *
ss_test_dovecot_get_ca_file (SsTestDovecot *self)
{
  return self->ca_file;
}

const char *
ss_test_dovecot_get_dir (SsTestDovecot *self)
{
  return self->dir;
}

const char *
ss_test_dovecot_get_log_file (SsTestDovecot *self)
{
  return self->log_file;
}

char
ss_test_dovecot_get_delimiter (SsTestDovecot *self)
{
  return self->delimiter;
}

