/* ss-assembly.c: spamd + IMAP + filter from settings, and the cycle they run */
#define G_LOG_DOMAIN "ss-assembly"

#include "config.h"

#include "ss-assembly.h"

#include "ss-credentials.h"
#include "ss-error.h"

/* The configured spamd address, else the private daemon's (started once). */
static const char *
spamd_address (SsAssembly      *self,
               const SsConfig  *config,
               GError         **error)
{
  g_autofree char *run_dir = NULL;
  g_autofree char *data_dir = NULL;

  if (config->spamd_address != NULL && *config->spamd_address != '\0')
    return config->spamd_address;
  if (self->daemon == NULL)
    {
      run_dir = g_build_filename (g_get_user_runtime_dir (), "spamsieve", NULL);
      data_dir = g_build_filename (g_get_user_data_dir (), "spamsieve", NULL);
      self->daemon = ss_spamd_daemon_start (SPAMD_PROGRAM, run_dir, data_dir,
                                            config->spamd_parallel,
                                            config->spamd_network_tests, NULL, error);
      if (self->daemon == NULL)
        return NULL;
    }
  return ss_spamd_daemon_get_address (self->daemon);
}

/* A fresh token per try; a refused one is refreshed once, then the refusal stands. */
static gboolean
login_with_token (SsAssembly      *self,
                  const SsConfig  *config,
                  GCancellable    *cancellable,
                  GError         **error)
{
  SsTokenFunc func = self->token_func != NULL ? self->token_func : ss_auth_token_from_command;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      char *token = func (config, attempt > 0, self->token_data, cancellable, error);
      gboolean ok;

      if (token == NULL)
        return FALSE;
      ok = ss_imap_client_connect (self->imap, token, cancellable, &local_error);
      ss_credentials_password_free (token);
      if (ok)
        return TRUE;
      if (attempt > 0 || !g_error_matches (local_error, SS_IMAP_ERROR, SS_IMAP_ERROR_LOGIN))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_message ("The access token was refused; asking for a fresh one");
    }
  g_assert_not_reached ();
}

/* The account's learner, opened once (kept over reconnects). Without one, spamd decides
 * alone: a broken model file is set aside by ss_learner_open(), only I/O errors get here. */
static void
open_learner (SsAssembly      *self,
              const SsConfig  *config)
{
  g_autofree char *account = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->learner != NULL)
    return;
  account = ss_config_dup_account_id (config);
  g_free (self->learner_path);
  self->learner_path = ss_learner_default_path (account);
  self->learner = ss_learner_open (self->learner_path, &local_error);
  if (self->learner == NULL)
    {
      g_warning ("Personal learner unavailable (%s): spamd decides alone",
                 local_error->message);
      return;
    }
  self->learner_saved = ss_learner_get_n_ham (self->learner) +
                        ss_learner_get_n_spam (self->learner);
}

gboolean
ss_assembly_connect (SsAssembly      *self,
                     const SsConfig  *config,
                     const char      *password,
                     SsJournal       *journal,
                     guint            imap_timeout_ms,
                     GCancellable    *cancellable,
                     GError         **error)
{
  const char *address;

  g_return_val_if_fail (self != NULL && self->imap == NULL, FALSE);

  address = spamd_address (self, config, error);
  if (address == NULL)
    return FALSE;
  self->spamd = ss_spamd_client_new (address, NULL, config->spamd_timeout * 1000, error);
  if (self->spamd == NULL)
    return FALSE;
  self->imap = ss_imap_client_new (config);
  if (imap_timeout_ms > 0)
    ss_imap_client_set_timeout (self->imap, imap_timeout_ms);
  if (ss_auth_mode_of (config) != SS_AUTH_PASSWORD
      ? !login_with_token (self, config, cancellable, error)
      : !ss_imap_client_connect (self->imap, password, cancellable, error))
    return FALSE;
  self->connected = TRUE;
  self->filter = ss_filter_new (config, self->imap, self->spamd, journal);
  if (config->learner)
    open_learner (self, config);
  if (self->learner != NULL && config->learner)
    ss_filter_set_learner (self->filter, self->learner);
  return TRUE;
}

static guint64
learner_count (SsLearner *learner)
{
  return ss_learner_get_n_ham (learner) + ss_learner_get_n_spam (learner);
}

gboolean
ss_assembly_save_learner (SsAssembly  *self,
                          GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->learner == NULL || learner_count (self->learner) == self->learner_saved)
    return TRUE;
  if (!ss_learner_save (self->learner, self->learner_path, error))
    return FALSE;
  self->learner_saved = learner_count (self->learner);
  return TRUE;
}

static void
save_learner_logged (SsAssembly *self)
{
  g_autoptr(GError) local_error = NULL;

  if (!ss_assembly_save_learner (self, &local_error))
    g_warning ("Could not save the personal learner: %s", local_error->message);
}

void
ss_assembly_disconnect (SsAssembly *self)
{
  save_learner_logged (self);
  if (self->imap != NULL && self->connected)
    ss_imap_client_disconnect (self->imap);
  g_clear_object (&self->filter);
  g_clear_object (&self->imap);
  g_clear_object (&self->spamd);
  self->connected = FALSE;
}

void
ss_assembly_clear (SsAssembly *self)
{
  ss_assembly_disconnect (self);
  if (self->daemon != NULL)
    ss_spamd_daemon_stop (self->daemon);
  g_clear_object (&self->daemon);
  g_clear_pointer (&self->learner, ss_learner_unref);
  g_clear_pointer (&self->learner_path, g_free);
}

static void
step (SsCycleStepFunc func,
      SsCycleStep     cycle_step,
      gpointer        user_data)
{
  if (func != NULL)
    func (cycle_step, user_data);
}

gboolean
ss_assembly_run_cycle (SsFilter         *filter,
                       gboolean          maintenance,
                       SsCycleStepFunc   step_func,
                       gpointer          user_data,
                       GError          **refused,
                       GCancellable     *cancellable,
                       GError          **error)
{
  g_return_val_if_fail (SS_IS_FILTER (filter), FALSE);

  if (maintenance)
    {
      g_autoptr(GError) learn_error = NULL;

      step (step_func, SS_CYCLE_LEARNING, user_data);
      if (!ss_filter_run_learning (filter, cancellable, &learn_error))
        {
          /* A spamd without --allow-tell does not stop filtering; it is reported. */
          if (!g_error_matches (learn_error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
            {
              g_propagate_error (error, g_steal_pointer (&learn_error));
              return FALSE;
            }
          g_propagate_error (refused, g_steal_pointer (&learn_error));
        }
      /* The user's own moves into and out of Spam (ss-filter-moves.c). */
      if (!ss_filter_run_moves (filter, cancellable, &learn_error))
        {
          if (!g_error_matches (learn_error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
            {
              g_propagate_error (error, g_steal_pointer (&learn_error));
              return FALSE;
            }
          if (refused != NULL && *refused == NULL)
            g_propagate_error (refused, g_steal_pointer (&learn_error));
          g_clear_error (&learn_error);
        }
      /* After the corrections above: what the user left be is learned as it was judged. */
      if (!ss_filter_run_confirm (filter, cancellable, error))
        return FALSE;
      step (step_func, SS_CYCLE_EXPIRING, user_data);
      if (!ss_filter_run_expire (filter, cancellable, error))
        return FALSE;
    }
  step (step_func, SS_CYCLE_SCANNING, user_data);
  return ss_filter_run_unfiltered (filter, cancellable, error);
}
