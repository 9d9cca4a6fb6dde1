/* ss-goa.c: GNOME Online Accounts mail accounts and their access tokens */
#define G_LOG_DOMAIN "ss-goa"

#include "config.h"

#include "ss-goa.h"

#include <glib/gi18n.h>

#include "ss-credentials.h"
#include "ss-error.h"

/* ---- accounts ---- */

GList *
ss_goa_list_mail_accounts (GoaClient *client)
{
  GList *accounts = goa_client_get_accounts (client);
  GList *result = NULL;

  for (GList *l = accounts; l != NULL; l = l->next)
    {
      GoaObject *object = l->data;
      GoaAccount *account = goa_object_peek_account (object);
      GoaMail *mail = goa_object_peek_mail (object);

      if (account != NULL && mail != NULL && goa_object_peek_oauth2_based (object) != NULL &&
          goa_mail_get_imap_supported (mail) && !goa_account_get_mail_disabled (account))
        result = g_list_prepend (result, g_object_ref (object));
    }
  g_list_free_full (accounts, g_object_unref);
  return g_list_reverse (result);
}

char *
ss_goa_describe (GoaObject  *object,
                 char      **identity)
{
  GoaAccount *account = goa_object_peek_account (object);

  if (identity != NULL)
    *identity = g_strdup (goa_account_get_presentation_identity (account));
  return g_strdup (goa_account_get_provider_name (account));
}

gboolean
ss_goa_apply_account (GoaObject  *object,
                      SsConfig   *config,
                      GError    **error)
{
  GoaAccount *account = goa_object_peek_account (object);
  GoaMail *mail = goa_object_peek_mail (object);
  const char *host = mail != NULL ? goa_mail_get_imap_host (mail) : NULL;
  const char *user = mail != NULL ? goa_mail_get_imap_user_name (mail) : NULL;
  SsTlsMode tls;

  if (host == NULL || *host == '\0' || user == NULL || *user == '\0')
    return ss_error_set_prefixed (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG, NULL,
                                  _("The online account has no IMAP server or user name."));
  if (goa_mail_get_imap_use_ssl (mail))
    tls = SS_TLS_IMPLICIT;
  else if (goa_mail_get_imap_use_tls (mail))
    tls = SS_TLS_STARTTLS;
  else
    return ss_error_set_prefixed (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG, NULL,
                                  _("The online account’s mail server does not use TLS."));
  /* ImapHost is "host" or "host:port". */
  g_free (config->url);
  config->url = ss_config_url_for_server (host, tls);
  config->tls = tls;
  g_free (config->user);
  config->user = g_strdup (user);
  g_free (config->auth);
  config->auth = g_strdup ("xoauth2");
  g_free (config->goa_account);
  config->goa_account = g_strdup (goa_account_get_id (account));
  g_clear_pointer (&config->password_file, g_free);
  return TRUE;
}

/* ---- tokens ---- */

typedef struct
{
  char     *account_id;
  gboolean  refresh;
} TokenRequest;

static void
token_request_free (TokenRequest *request)
{
  g_free (request->account_id);
  g_free (request);
}

static void
return_goa_error (GTask  *task,
                  GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
  g_dbus_error_strip_remote_error (error);
  /* NotAuthorized: the user must sign in again in Online Accounts; else it may pass. */
  g_task_return_new_error (task, SS_ENGINE_ERROR,
                           g_error_matches (error, GOA_ERROR, GOA_ERROR_NOT_AUTHORIZED)
                           ? SS_ENGINE_ERROR_CREDENTIALS : SS_ENGINE_ERROR_TOKEN,
                           "GNOME Online Accounts: %s", error->message);
  g_error_free (error);
}

static void
access_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token = NULL;

  if (!goa_oauth2_based_call_get_access_token_finish (GOA_OAUTH2_BASED (object), &token, NULL,
                                                      result, &error))
    {
      return_goa_error (task, error);
      return;
    }
  g_task_return_pointer (task, token, (GDestroyNotify) ss_credentials_password_free);
}

static void
get_access_token (GTask     *task,
                  GoaObject *object)
{
  goa_oauth2_based_call_get_access_token (goa_object_peek_oauth2_based (object),
                                          g_task_get_cancellable (task), access_token_cb,
                                          task);
}

static void
ensure_credentials_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  GoaObject *goa_object = g_object_get_data (G_OBJECT (task), "goa-object");
  GError *error = NULL;

  if (!goa_account_call_ensure_credentials_finish (GOA_ACCOUNT (object), NULL, result, &error))
    {
      return_goa_error (task, error);
      g_object_unref (task);
      return;
    }
  get_access_token (task, goa_object);
}

static void
client_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  TokenRequest *request = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GoaClient) client = goa_client_new_finish (result, &error);
  g_autoptr(GoaObject) object = NULL;

  if (client == NULL)
    {
      return_goa_error (task, error);
      g_object_unref (task);
      return;
    }
  object = goa_client_lookup_by_id (client, request->account_id);
  if (object == NULL || goa_object_peek_oauth2_based (object) == NULL)
    {
      g_task_return_new_error (task, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS,
                               _("The online account is no longer in GNOME Online Accounts; "
                                 "choose the account again in the settings"));
      g_object_unref (task);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "goa-object", g_object_ref (object),
                          g_object_unref);
  if (request->refresh)
    goa_account_call_ensure_credentials (goa_object_peek_account (object),
                                         g_task_get_cancellable (task), ensure_credentials_cb,
                                         task);
  else
    get_access_token (task, object);
}

void
ss_goa_get_token_async (const char          *account_id,
                        gboolean             refresh,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  TokenRequest *request = g_new0 (TokenRequest, 1);

  g_task_set_source_tag (task, ss_goa_get_token_async);
  request->account_id = g_strdup (account_id);
  request->refresh = refresh;
  g_task_set_task_data (task, request, (GDestroyNotify) token_request_free);
  goa_client_new (cancellable, client_cb, task);
}

char *
ss_goa_get_token_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the session's provider: worker thread asks, main context answers ---- */

struct _SsGoaTokens
{
  GMainContext *context;  /* where GOA is asked */
};

typedef struct
{
  GMutex    lock;
  GCond     cond;
  gboolean  done;
  char     *account_id;
  gboolean  refresh;
  char     *token;
  GError   *error;
} Waiter;

static void
waiter_clear (Waiter *waiter)
{
  g_mutex_clear (&waiter->lock);
  g_cond_clear (&waiter->cond);
  g_free (waiter->account_id);
  ss_credentials_password_free (waiter->token);
  g_clear_error (&waiter->error);
}

static void
waiter_unref (Waiter *waiter)
{
  g_atomic_rc_box_release_full (waiter, (GDestroyNotify) waiter_clear);
}

static void
waiter_token_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Waiter *waiter = user_data;
  GError *error = NULL;
  char *token = ss_goa_get_token_finish (result, &error);

  g_mutex_lock (&waiter->lock);
  waiter->token = token;
  waiter->error = error;
  waiter->done = TRUE;
  g_cond_signal (&waiter->cond);
  g_mutex_unlock (&waiter->lock);
  waiter_unref (waiter);
}

static gboolean
waiter_start (gpointer data)
{
  Waiter *waiter = data;

  ss_goa_get_token_async (waiter->account_id, waiter->refresh, NULL, waiter_token_cb,
                          g_atomic_rc_box_acquire (waiter));
  return G_SOURCE_REMOVE;
}

SsGoaTokens *
ss_goa_tokens_new (void)
{
  SsGoaTokens *self = g_new0 (SsGoaTokens, 1);

  self->context = g_main_context_ref_thread_default ();
  return self;
}

void
ss_goa_tokens_free (SsGoaTokens *self)
{
  if (self == NULL)
    return;
  g_main_context_unref (self->context);
  g_free (self);
}

char *
ss_goa_tokens_func (const SsConfig  *config,
                    gboolean         refresh,
                    gpointer         tokens,
                    GCancellable    *cancellable,
                    GError         **error)
{
  SsGoaTokens *self = tokens;
  Waiter *waiter;
  gint64 deadline = g_get_monotonic_time () + SS_GOA_TOKEN_TIMEOUT_S * G_USEC_PER_SEC;
  char *token = NULL;

  if (config->goa_account == NULL || *config->goa_account == '\0')
    return ss_auth_token_from_command (config, refresh, NULL, cancellable, error);
  /* Never on the context that answers: that would wait for itself. */
  g_return_val_if_fail (!g_main_context_is_owner (self->context), NULL);

  waiter = g_atomic_rc_box_new0 (Waiter);
  g_mutex_init (&waiter->lock);
  g_cond_init (&waiter->cond);
  waiter->account_id = g_strdup (config->goa_account);
  waiter->refresh = refresh;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, waiter_start,
                              g_atomic_rc_box_acquire (waiter), (GDestroyNotify) waiter_unref);
  g_mutex_lock (&waiter->lock);
  while (!waiter->done)
    if (!g_cond_wait_until (&waiter->cond, &waiter->lock, deadline))
      break;
  if (!waiter->done)
    g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_TOKEN,
                 "GNOME Online Accounts gave no access token within %d s",
                 SS_GOA_TOKEN_TIMEOUT_S);
  else if (waiter->error != NULL)
    g_propagate_error (error, g_steal_pointer (&waiter->error));
  else
    token = g_steal_pointer (&waiter->token);
  g_mutex_unlock (&waiter->lock);
  waiter_unref (waiter);
  return token;
}
