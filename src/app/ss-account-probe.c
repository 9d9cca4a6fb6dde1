/* ss-account-probe.c: test a connection exactly as the engine would make it */
#define G_LOG_DOMAIN "ss-account-probe"

#include "config.h"

#include "ss-account-probe.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ss-credentials.h"
#include "ss-error.h"
#include "ss-imap-client.h"
#include "ss-spamd-client.h"

#define IMAP_TIMEOUT_MS   20000
#define SPAMD_TIMEOUT_MS  10000

struct _SsAccountProbe
{
  GObject    parent_instance;

  SsConfig  *config;
  char      *password;
  GMutex     mutex;     /* folders/summary are written by the thread */
  GStrv      folders;
  char      *summary;
};

G_DEFINE_FINAL_TYPE (SsAccountProbe, ss_account_probe, G_TYPE_OBJECT)

static void
ss_account_probe_finalize (GObject *object)
{
  SsAccountProbe *self = SS_ACCOUNT_PROBE (object);

  ss_config_free (self->config);
  ss_credentials_password_free (self->password);
  g_strfreev (self->folders);
  g_free (self->summary);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (ss_account_probe_parent_class)->finalize (object);
}

static void
ss_account_probe_class_init (SsAccountProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ss_account_probe_finalize;
}

static void
ss_account_probe_init (SsAccountProbe *self)
{
  g_mutex_init (&self->mutex);
}

SsAccountProbe *
ss_account_probe_new (const SsConfig *config,
                      const char     *password)
{
  SsAccountProbe *self;

  g_return_val_if_fail (config != NULL && config->host != NULL, NULL);

  self = g_object_new (SS_TYPE_ACCOUNT_PROBE, NULL);
  self->config = ss_config_copy (config);
  self->password = g_strdup (password);
  return self;
}

static const SsImapFolder *
find_folder (GPtrArray  *folders,
             const char *name)
{
  for (guint i = 0; i < folders->len; i++)
    {
      const SsImapFolder *f = g_ptr_array_index (folders, i);

      if (ss_config_same_folder (f->name, name))
        return f;
    }
  return NULL;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_utf8_collate (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
resolve_host (const char    *host,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GResolver) resolver = NULL;
  GList *addresses;

  if (g_hostname_is_ip_address (host))
    return TRUE;
  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, host, cancellable, error);
  if (addresses == NULL)
    return FALSE;
  g_resolver_free_addresses (addresses);
  return TRUE;
}

static gboolean
check_spamd (SsAccountProbe  *self,
             GString         *summary,
             GCancellable    *cancellable,
             GError         **error)
{
  g_autoptr(SsSpamdClient) client = NULL;
  const char *address = self->config->spamd_address;

  if (address == NULL || *address == '\0')
    {
      if (!g_file_test (SPAMD_PROGRAM, G_FILE_TEST_IS_EXECUTABLE))
        {
          g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_START,
                       "%s is not installed (package spamd)", SPAMD_PROGRAM);
          return FALSE;
        }
      g_string_append_printf (summary, "%s\n",
                              _("SpamAssassin will run privately for SpamSieve."));
      return TRUE;
    }
  client = ss_spamd_client_new (address, NULL, SPAMD_TIMEOUT_MS, error);
  if (client == NULL || !ss_spamd_client_ping_sync (client, cancellable, error))
    return FALSE;
  g_string_append_printf (summary, _("spamd at %s answers."), address);
  g_string_append_c (summary, '\n');
  return TRUE;
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SsAccountProbe *self = source_object;
  SsAccountProbeFlags flags = GPOINTER_TO_UINT (task_data);
  const SsConfig *config = self->config;
  g_autoptr(SsImapClient) imap = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GString) summary = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *learning[3];   /* spam (NULL: the server's), then the learning folders */
  const char *spam;
  const SsImapFolder *junk = NULL;
  g_autofree char *false_positives = NULL;
  g_autofree char *false_negatives = NULL;

  if (!resolve_host (config->host, cancellable, &error))
    goto out;
  imap = ss_imap_client_new (config);
  ss_imap_client_set_timeout (imap, IMAP_TIMEOUT_MS);
  if (!ss_imap_client_connect (imap, self->password != NULL ? self->password : "",
                               cancellable, &error))
    goto out;
  folders = ss_imap_client_list (imap, cancellable, &error);
  ss_imap_client_disconnect (imap);
  if (folders == NULL)
    goto out;

  for (guint i = 0; i < folders->len; i++)
    {
      const SsImapFolder *f = g_ptr_array_index (folders, i);

      if (!f->noselect)
        g_ptr_array_add (names, g_strdup (f->name));
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  g_mutex_lock (&self->mutex);
  g_strfreev (self->folders);
  self->folders = (GStrv) g_ptr_array_steal (names, NULL);
  g_mutex_unlock (&self->mutex);

  if (flags & SS_ACCOUNT_PROBE_FOLDERS_ONLY)
    goto out;

  g_string_append_printf (summary, _("Logged in as %s."), config->user);
  g_string_append_c (summary, '\n');
  if (ss_config_is_in_place (config))
    {
      g_string_append_printf (summary, _("New mail is filtered in %s, where it arrives."),
                              config->folder_inbox);
      g_string_append_c (summary, '\n');
    }
  if (find_folder (folders, config->folder_unfiltered) == NULL)
    {
      g_set_error (&error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The folder \"%s\" does not exist on %s", config->folder_unfiltered,
                   config->host);
      goto out;
    }
  if (find_folder (folders, config->folder_inbox) == NULL)
    {
      g_set_error (&error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The folder \"%s\" does not exist on %s", config->folder_inbox,
                   config->host);
      goto out;
    }
  spam = config->folder_spam;
  if (*spam == '\0')
    {
      for (guint j = 0; j < folders->len && junk == NULL; j++)
        if (((SsImapFolder *) g_ptr_array_index (folders, j))->junk)
          junk = g_ptr_array_index (folders, j);
      if (junk != NULL)
        {
          g_string_append_printf (summary, _("Spam goes to the server’s junk folder “%s”."),
                                  junk->name);
          g_string_append_c (summary, '\n');
        }
      spam = junk != NULL ? junk->name : "Spam";
    }
  /* The learning folders live under the spam folder unless set. */
  learning[0] = junk == NULL ? spam : NULL;
  learning[1] = false_positives = ss_config_dup_false_positives (config, spam);
  learning[2] = false_negatives = ss_config_dup_false_negatives (config, spam);
  for (gsize i = 0; i < G_N_ELEMENTS (learning); i++)
    if (learning[i] != NULL && find_folder (folders, learning[i]) == NULL)
      {
        g_string_append_printf (summary, _("The folder “%s” will be created."), learning[i]);
        g_string_append_c (summary, '\n');
      }
  if (!check_spamd (self, summary, cancellable, &error))
    goto out;

out:
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_strchomp (summary->str);
  g_mutex_lock (&self->mutex);
  g_free (self->summary);
  self->summary = g_string_free (g_steal_pointer (&summary), FALSE);
  g_mutex_unlock (&self->mutex);
  g_task_return_boolean (task, TRUE);
}

void
ss_account_probe_run_async (SsAccountProbe      *self,
                            SsAccountProbeFlags  flags,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SS_IS_ACCOUNT_PROBE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_account_probe_run_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (flags), NULL);
  g_task_run_in_thread (task, probe_thread);
}

gboolean
ss_account_probe_run_finish (SsAccountProbe  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char * const *
ss_account_probe_get_folders (SsAccountProbe *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT_PROBE (self), NULL);
  return (const char * const *) self->folders;
}

const char *
ss_account_probe_get_summary (SsAccountProbe *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT_PROBE (self), NULL);
  return self->summary;
}

char *
ss_account_probe_describe_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == G_RESOLVER_ERROR)
    return g_strdup (_("The server name could not be found (DNS). Check the server address."));
  if (error->domain == SS_IMAP_ERROR)
    switch ((SsImapError) error->code)
      {
      case SS_IMAP_ERROR_CONNECT:
        return g_strdup (_("The server refused the connection or cannot be reached. "
                           "Check the address and port."));
      case SS_IMAP_ERROR_TLS:
        if (strstr (error->message, "not trusted") != NULL)
          return g_strdup (_("The server’s certificate is not trusted. If it is "
                             "self-signed, choose its certificate authority file."));
        if (strstr (error->message, "did not answer with TLS") != NULL)
          return g_strdup (_("This port expects STARTTLS. Choose STARTTLS (usually port 143) "
                             "or the TLS port (usually 993)."));
        if (strstr (error->message, "STARTTLS") != NULL)
          return g_strdup (_("The server does not offer STARTTLS. Choose TLS instead."));
        return g_strdup (_("The secure connection (TLS) failed."));
      case SS_IMAP_ERROR_LOGIN:
        return g_strdup (_("Login refused: check the user name and password."));
      case SS_IMAP_ERROR_TIMEOUT:
        if (strstr (error->message, "port 993") != NULL)
          return g_strdup (_("The server did not answer: port 993 expects TLS. Choose TLS."));
        return g_strdup (_("The server did not answer in time."));
      case SS_IMAP_ERROR_NO_MAILBOX:
        return g_strdup (_("A folder is missing on the server. Create it or choose another."));
      case SS_IMAP_ERROR_UNSUPPORTED:
        return g_strdup (_("The server lacks a feature SpamSieve needs."));
      case SS_IMAP_ERROR_PROTOCOL:
      case SS_IMAP_ERROR_BYE:
      case SS_IMAP_ERROR_NO:
      case SS_IMAP_ERROR_BAD:
      default:
        return g_strdup (_("The server answered in an unexpected way."));
      }
  if (error->domain == SS_SPAMD_ERROR)
    switch ((SsSpamdError) error->code)
      {
      case SS_SPAMD_ERROR_CONNECT:
        return g_strdup (_("spamd cannot be reached. Check its address, or use the private "
                           "spamd."));
      case SS_SPAMD_ERROR_TIMEOUT:
        return g_strdup (_("spamd did not answer in time."));
      case SS_SPAMD_ERROR_START:
        return g_strdup (_("The private spamd cannot be started."));
      case SS_SPAMD_ERROR_PROTOCOL:
      case SS_SPAMD_ERROR_REFUSED:
      default:
        return g_strdup (_("spamd answered in an unexpected way."));
      }
  if (g_error_matches (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG))
    return g_strdup (_("The settings are not valid."));
  if (g_error_matches (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS))
    return g_strdup (_("No password is available."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup (_("Cancelled."));
  return g_strdup (_("The test failed."));
}
