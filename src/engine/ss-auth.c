/* ss-auth.c: password or OAuth2 token login; the token command */
#define G_LOG_DOMAIN "ss-auth"

#include "config.h"

#include "ss-auth.h"

#include <string.h>

#include "ss-credentials.h"
#include "ss-error.h"

#define OUTPUT_MAX (64 * 1024)

static const char * const mode_names[] = {
  [SS_AUTH_PASSWORD] = "password",
  [SS_AUTH_XOAUTH2] = "xoauth2",
  [SS_AUTH_OAUTHBEARER] = "oauthbearer",
};

gboolean
ss_auth_mode_parse (const char *text,
                    SsAuthMode *mode)
{
  if (text == NULL || *text == '\0')
    {
      *mode = SS_AUTH_PASSWORD;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_str_equal (text, mode_names[i]))
      {
        *mode = i;
        return TRUE;
      }
  return FALSE;
}

SsAuthMode
ss_auth_mode_of (const SsConfig *config)
{
  SsAuthMode mode = SS_AUTH_PASSWORD;

  ss_auth_mode_parse (config->auth, &mode);
  return mode;
}

const char *
ss_auth_login_options (SsAuthMode mode)
{
  switch (mode)
    {
    case SS_AUTH_XOAUTH2:
      return "AUTH=XOAUTH2";
    case SS_AUTH_OAUTHBEARER:
      return "AUTH=OAUTHBEARER";
    case SS_AUTH_PASSWORD:
    default:
      return NULL;
    }
}

#define config_error(error, key, ...) \
  ss_error_set_prefixed ((error), SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG, \
                         "settings: [account] " key, __VA_ARGS__)

gboolean
ss_auth_validate_config (const SsConfig  *config,
                         GError         **error)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) parse_error = NULL;
  SsAuthMode mode;

  if (!ss_auth_mode_parse (config->auth, &mode))
    return config_error (error, "auth", "must be password, xoauth2 or oauthbearer");
  if (config->token_command != NULL && *config->token_command != '\0' &&
      !g_shell_parse_argv (config->token_command, NULL, &argv, &parse_error))
    return config_error (error, "token-command", "cannot be split into PROGRAM ARGS…: %s",
                         parse_error->message);
  if (mode == SS_AUTH_PASSWORD)
    return TRUE;
  if (config->password_file != NULL)
    return config_error (error, "password-file",
                         "not used with auth=%s: the token comes from token-command",
                         mode_names[mode]);
  if ((config->token_command == NULL || *config->token_command == '\0') &&
      (config->goa_account == NULL || *config->goa_account == '\0'))
    return config_error (error, "token-command",
                         "missing (auth=%s needs a command that prints an access token)",
                         mode_names[mode]);
  return TRUE;
}

/* ---- token command ---- */

/* The command may work next time (network, token service): SS_ENGINE_ERROR_TOKEN. */
#define credentials_error(error, ...) \
  ss_error_set_prefixed ((error), SS_ENGINE_ERROR, SS_ENGINE_ERROR_TOKEN, NULL, __VA_ARGS__)

static void
keep_result (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* The first line of text (no CR/LF), or NULL when it is empty. */
static char *
first_line (const char *text)
{
  gsize len;

  if (text == NULL)
    return NULL;
  len = strcspn (text, "\r\n");
  return len > 0 ? g_strndup (text, len) : NULL;
}

static void
wipe_bytes (GBytes *bytes)
{
  gsize len;
  gpointer data;

  if (bytes == NULL)
    return;
  data = (gpointer) g_bytes_get_data (bytes, &len);
  if (data != NULL)
    explicit_bzero (data, len);
}

static char *
describe_failure (GSubprocess *process,
                  const char  *program,
                  GBytes      *err_bytes)
{
  g_autofree char *err_text = NULL;
  g_autofree char *err_line = NULL;
  g_autofree char *status = NULL;

  if (err_bytes != NULL)
    {
      err_text = g_utf8_make_valid (g_bytes_get_data (err_bytes, NULL),
                                    MIN (g_bytes_get_size (err_bytes), 400));
      err_line = first_line (err_text);
    }
  if (g_subprocess_get_if_exited (process))
    status = g_strdup_printf ("exit status %d", g_subprocess_get_exit_status (process));
  else
    status = g_strdup_printf ("killed by signal %d", g_subprocess_get_term_sig (process));
  return g_strdup_printf ("token-command %s failed (%s)%s%s", program, status,
                          err_line != NULL ? ": " : "", err_line != NULL ? err_line : "");
}

char *
ss_auth_run_token_command (const char    *command_line,
                           guint          timeout_s,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GCancellable) stop = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) out_bytes = NULL;
  g_autoptr(GBytes) err_bytes = NULL;
  g_autoptr(GBytes) no_input = NULL;
  g_autofree char *out_text = NULL;
  gboolean timed_out = FALSE;
  gulong handler = 0;
  char *token;

  g_return_val_if_fail (command_line != NULL, NULL);

  if (!g_shell_parse_argv (command_line, NULL, &argv, &local_error))
    {
      credentials_error (error, "token-command cannot be split: %s", local_error->message);
      return NULL;
    }
  process = g_subprocess_newv ((const char * const *) argv,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &local_error);
  if (process == NULL)
    {
      credentials_error (error, "cannot run token-command %s: %s", argv[0],
                         local_error->message);
      return NULL;
    }

  /* Run to its end on a private context, the caller's is not iterated. Its stdin is closed
   * at once (no input), stdout and stderr are read to their end. */
  context = g_main_context_new ();
  stop = g_cancellable_new ();
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (g_cancellable_cancel),
                                     g_object_ref (stop), g_object_unref);
  timeout = g_timeout_source_new_seconds (timeout_s);
  g_source_set_callback (timeout, on_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  g_main_context_push_thread_default (context);
  no_input = g_bytes_new_static ("", 0);
  g_subprocess_communicate_async (process, no_input, stop, keep_result, &result);
  while (result == NULL)
    {
      g_main_context_iteration (context, TRUE);
      if (timed_out && !g_cancellable_is_cancelled (stop))
        {
          g_subprocess_force_exit (process);
          g_cancellable_cancel (stop);
        }
    }
  g_main_context_pop_thread_default (context);
  g_source_destroy (timeout);
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  g_subprocess_communicate_finish (process, result, &out_bytes, &err_bytes, &local_error);
  if (local_error != NULL)
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      wipe_bytes (out_bytes);
      if (timed_out)
        credentials_error (error, "token-command %s gave no token within %u s", argv[0],
                           timeout_s);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        credentials_error (error, "token-command %s: %s", argv[0], local_error->message);
      return NULL;
    }
  g_subprocess_wait (process, NULL, NULL);
  if (!g_subprocess_get_successful (process))
    {
      g_autofree char *message = describe_failure (process, argv[0], err_bytes);

      wipe_bytes (out_bytes);
      credentials_error (error, "%s", message);
      return NULL;
    }
  if (out_bytes != NULL && g_bytes_get_size (out_bytes) <= OUTPUT_MAX)
    out_text = g_strndup (g_bytes_get_data (out_bytes, NULL), g_bytes_get_size (out_bytes));
  wipe_bytes (out_bytes);
  token = first_line (out_text);
  if (out_text != NULL)
    explicit_bzero (out_text, strlen (out_text));
  if (token == NULL)
    {
      credentials_error (error, "token-command %s printed no token (its first output line "
                         "is the access token)", argv[0]);
      return NULL;
    }
  return token;
}

char *
ss_auth_token_from_command (const SsConfig  *config,
                            gboolean         refresh,
                            gpointer         user_data,
                            GCancellable    *cancellable,
                            GError         **error)
{
  if (config->token_command == NULL || *config->token_command == '\0')
    {
      credentials_error (error, "No token: set [account] token-command");
      return NULL;
    }
  return ss_auth_run_token_command (config->token_command, SS_AUTH_TOKEN_TIMEOUT_S,
                                    cancellable, error);
}
