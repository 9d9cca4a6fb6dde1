/* ss-demo.c: spamsieve --demo runs the server harness (src/harness): its dovecot, with a
 * random password, and a private spamd (the engine's SsSpamdDaemon), in a temporary
 * directory that is removed on stop. The sample mail is compiled into the app
 * (data/demo) and dropped into Unfiltered the way a delivery agent would. */
#define G_LOG_DOMAIN "ss-demo"

#include "config.h"

#include "ss-demo.h"

#include "ss-spamd-daemon.h"
#include "ss-test-servers.h"

#define DEMO_RESOURCES "/org/example/SpamSieve/demo/"

struct _SsDemo
{
  GObject        parent_instance;

  SsTestDovecot *dovecot;
  SsSpamdDaemon *spamd;
  char          *journal_path;
  char          *password;
  GPtrArray     *messages;         /* GBytes, in feeding order */
  guint          n_fed;
  guint          feed_id;
};

G_DEFINE_FINAL_TYPE (SsDemo, ss_demo, G_TYPE_OBJECT)

/* Everything goes on dispose: the servers cannot wait for the last reference. */
static void
ss_demo_dispose (GObject *object)
{
  SsDemo *self = SS_DEMO (object);

  ss_demo_stop (self);
  g_clear_pointer (&self->journal_path, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  G_OBJECT_CLASS (ss_demo_parent_class)->dispose (object);
}

static void
ss_demo_class_init (SsDemoClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ss_demo_dispose;
}

static void
ss_demo_init (SsDemo *self)
{
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

SsDemo *
ss_demo_new (void)
{
  return g_object_new (SS_TYPE_DEMO, NULL);
}

/* ---- starting (worker thread) ---- */

/* Ham and spam alternate, so that both show up early. */
static const char * const demo_messages[] = {
  "ham-004", "spam-007", "ham-005", "spam-008", "ham-006", "spam-009",
  "ham-007", "spam-010", "ham-008", "spam-011", "ham-009", "spam-012",
};

static gboolean
load_messages (SsDemo  *self,
               GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (demo_messages); i++)
    {
      g_autofree char *path = g_strconcat (DEMO_RESOURCES, demo_messages[i], ".eml", NULL);
      GBytes *message = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);

      if (message == NULL)
        return FALSE;
      g_ptr_array_add (self->messages, message);
    }
  return TRUE;
}

static void
start_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SsDemo *self = source_object;
  /* The task's thread ends before the demo does. */
  SsTestDovecotOptions options = { .outlive_thread = TRUE };
  g_autoptr(GError) error = NULL;
  g_autofree char *spamd_run = NULL;
  g_autofree char *spamd_data = NULL;
  const char *dir;

  self->password = g_uuid_string_random ();
  options.password = self->password;
  if (!load_messages (self, &error)
      || (self->dovecot = ss_test_dovecot_start (&options, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  dir = ss_test_dovecot_get_dir (self->dovecot);
  self->journal_path = g_build_filename (dir, "state.sqlite", NULL);
  spamd_run = g_build_filename (dir, "spamd-run", NULL);
  spamd_data = g_build_filename (dir, "spamd-data", NULL);
  self->spamd = ss_spamd_daemon_start (SPAMD_PROGRAM, spamd_run, spamd_data, 4, FALSE,
                                       cancellable, &error);
  if (self->spamd == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
ss_demo_start_async (SsDemo              *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SS_IS_DEMO (self));
  g_return_if_fail (self->dovecot == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_demo_start_async);
  g_task_run_in_thread (task, start_thread);
}

SsConfig *
ss_demo_start_finish (SsDemo        *self,
                      GAsyncResult  *result,
                      char         **password,
                      GError       **error)
{
  g_autoptr(SsConfig) config = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  config = ss_config_new_default ();
  g_free (config->url);
  config->url = g_strdup_printf ("imap://127.0.0.1:%u",
                                 ss_test_dovecot_get_imap_port (self->dovecot));
  config->tls = SS_TLS_STARTTLS;
  g_free (config->user);
  config->user = g_strdup ("tester");
  g_free (config->ca_file);
  config->ca_file = g_strdup (ss_test_dovecot_get_ca_file (self->dovecot));
  g_free (config->spamd_address);
  config->spamd_address = g_strdup (ss_spamd_daemon_get_address (self->spamd));
  config->spamd_parallel = 4;
  config->poll_seconds = 5;
  if (!ss_config_validate (config, error))
    return NULL;
  if (password != NULL)
    *password = g_strdup (self->password);
  return g_steal_pointer (&config);
}

const char *
ss_demo_get_journal_path (SsDemo *self)
{
  g_return_val_if_fail (SS_IS_DEMO (self), NULL);
  return self->journal_path;
}

/* ---- feeding ---- */

static void
deliver (SsDemo *self,
         GBytes *message)
{
  g_autoptr(GError) error = NULL;

  if (!ss_test_dovecot_add_message (self->dovecot, "Unfiltered", message, "", 0, &error))
    g_message ("demo: %s", error->message);
}

static gboolean
feed_next (gpointer data)
{
  SsDemo *self = data;

  if (self->dovecot == NULL || self->n_fed >= self->messages->len)
    {
      self->feed_id = 0;
      return G_SOURCE_REMOVE;
    }
  deliver (self, g_ptr_array_index (self->messages, self->n_fed));
  self->n_fed++;
  return G_SOURCE_CONTINUE;
}

void
ss_demo_feed (SsDemo *self,
              guint   duration_s)
{
  guint interval_ms;

  g_return_if_fail (SS_IS_DEMO (self));
  g_return_if_fail (self->dovecot != NULL);

  g_clear_handle_id (&self->feed_id, g_source_remove);
  interval_ms = MAX (200, duration_s * 1000 / MAX (1, self->messages->len));
  /* The first one right away, so that something happens at once. */
  feed_next (self);
  self->feed_id = g_timeout_add (interval_ms, feed_next, self);
}

guint
ss_demo_get_n_fed (SsDemo *self)
{
  g_return_val_if_fail (SS_IS_DEMO (self), 0);
  return self->n_fed;
}

guint
ss_demo_get_n_messages (SsDemo *self)
{
  g_return_val_if_fail (SS_IS_DEMO (self), 0);
  return self->messages->len;
}

/* ---- stopping ---- */

void
ss_demo_stop (SsDemo *self)
{
  g_return_if_fail (SS_IS_DEMO (self));

  g_clear_handle_id (&self->feed_id, g_source_remove);
  /* spamd first: its directories are inside dovecot's, which goes with it. */
  if (self->spamd != NULL)
    ss_spamd_daemon_stop (self->spamd);
  g_clear_object (&self->spamd);
  g_clear_pointer (&self->dovecot, ss_test_dovecot_stop);
}
