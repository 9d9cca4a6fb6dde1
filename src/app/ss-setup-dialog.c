/* ss-setup-dialog.c: the account form. Reads GSettings and the keyring, tests a connection on
 * a thread (SsAccountProbe), fills the folder pickers from the server, and saves: password to
 * the keyring first (so a missing keyring keeps the dialog open with a clear message), then
 * GSettings. */
#define G_LOG_DOMAIN "ss-setup-dialog"

#include "config.h"

#include "ss-setup-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ss-account-probe.h"
#include "ss-credentials.h"
#include "ss-error.h"
#include "ss-goa-group.h"
#include "ss-settings.h"
#include "ss-status.h"
#include "ss-train-page.h"

enum {
  SPAMD_PRIVATE,
  SPAMD_NETWORK,
  SPAMD_SOCKET,
};

enum {
  FOLDER_UNFILTERED,
  FOLDER_INBOX,
  FOLDER_SPAM,
  FOLDER_FALSE_POSITIVES,
  FOLDER_FALSE_NEGATIVES,
  N_FOLDERS
};

struct _SsSetupDialog
{
  AdwWindow        parent_instance;

  GSettings       *settings;
  GCancellable    *cancellable;
  char            *ca_file;
  gboolean         password_touched;
  guint            busy;
  GMenu           *folder_menus[N_FOLDERS];
  GtkFileChooserNative *chooser;
  SsTrainPage     *train_page;     /* the last step, once started */

  /* template */
  AdwToastOverlay *toast_overlay;
  AdwEntryRow     *server_row;
  AdwComboRow     *security_row;
  GtkWidget       *plaintext_warning;
  AdwEntryRow     *user_row;
  AdwEntryRow     *password_row;
  AdwActionRow    *ca_row;
  GtkWidget       *ca_clear_button;
  AdwPreferencesGroup *server_group;
  AdwComboRow     *mode_row;       /* MODE_*: in place or Unfiltered */
  AdwEntryRow     *unfiltered_row;
  AdwEntryRow     *inbox_row;
  AdwEntryRow     *spam_row;
  AdwEntryRow     *false_positives_row;
  AdwEntryRow     *false_negatives_row;
  AdwComboRow     *spamd_row;
  AdwEntryRow     *spamd_address_row;
  GtkSpinButton   *parallel_spin;
  GtkSwitch       *autostart_switch;
  GtkSwitch       *summary_switch;
  AdwActionRow    *result_row;
  GtkStack        *result_icon_stack;
  GtkImage        *result_icon;
  GtkSpinner      *result_spinner;
  GtkWidget       *folders_button;
  GtkWidget       *test_button;
  GtkWidget       *save_button;
  SsGoaGroup      *goa_group;
};

G_DEFINE_FINAL_TYPE (SsSetupDialog, ss_setup_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
text_of (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_text (AdwEntryRow *row,
          const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
}

/* Each folder row and the SsConfig field it edits, in FOLDER_* order. */
static const struct
{
  gsize row;
  gsize field;
} folder_rows[N_FOLDERS] = {
  { G_STRUCT_OFFSET (SsSetupDialog, unfiltered_row),
    G_STRUCT_OFFSET (SsConfig, folder_unfiltered) },
  { G_STRUCT_OFFSET (SsSetupDialog, inbox_row),
    G_STRUCT_OFFSET (SsConfig, folder_inbox) },
  { G_STRUCT_OFFSET (SsSetupDialog, spam_row),
    G_STRUCT_OFFSET (SsConfig, folder_spam) },
  { G_STRUCT_OFFSET (SsSetupDialog, false_positives_row),
    G_STRUCT_OFFSET (SsConfig, folder_false_positives) },
  { G_STRUCT_OFFSET (SsSetupDialog, false_negatives_row),
    G_STRUCT_OFFSET (SsConfig, folder_false_negatives) },
};

static AdwEntryRow *
folder_row (SsSetupDialog *self,
            guint          which)
{
  g_return_val_if_fail (which < N_FOLDERS, NULL);
  return G_STRUCT_MEMBER (AdwEntryRow *, self, folder_rows[which].row);
}

static char **
folder_field (SsConfig *config,
              guint     which)
{
  g_return_val_if_fail (which < N_FOLDERS, NULL);
  return G_STRUCT_MEMBER_P (config, folder_rows[which].field);
}

/* The mode row: filter INBOX in place, or the folder a server rule fills. */
enum {
  MODE_IN_PLACE,
  MODE_UNFILTERED,
};

static gboolean
is_in_place (SsSetupDialog *self)
{
  return adw_combo_row_get_selected (self->mode_row) == MODE_IN_PLACE;
}

/* The texts that name where new mail is checked follow the chosen mode. */
static void
update_mode_texts (SsSetupDialog *self)
{
  gboolean in_place = is_in_place (self);
  g_autofree char *description = NULL;

  if (in_place)
    description = g_strdup_printf (_("The mail account to protect. New mail is checked in “%s” "
                                     "as it arrives."), text_of (self->inbox_row));
  else
    description = g_strdup_printf (_("The mail account to protect. New mail is checked in “%s”, "
                                     "where a rule on the server puts it."),
                                   text_of (self->unfiltered_row));
  adw_preferences_group_set_description (self->server_group, description);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->mode_row),
                               in_place ? _("Spam is moved out; good mail stays.")
                                        : _("Spam is moved out; good mail to the inbox."));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->inbox_row),
                                 in_place ? _("Inbox (new mail is checked here)")
                                          : _("Good Mail (Inbox)"));
  gtk_widget_set_visible (GTK_WIDGET (self->unfiltered_row), !in_place);
}

/* ---- result row ---- */

typedef enum {
  RESULT_NONE,
  RESULT_BUSY,
  RESULT_OK,
  RESULT_ERROR,
} ResultKind;

static void
show_result (SsSetupDialog *self,
             ResultKind     kind,
             const char    *title,
             const char    *detail)
{
  GtkWidget *icon = GTK_WIDGET (self->result_icon);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->result_row), title);
  adw_action_row_set_subtitle (self->result_row, detail != NULL ? detail : "");
  gtk_spinner_set_spinning (self->result_spinner, kind == RESULT_BUSY);
  gtk_stack_set_visible_child_name (self->result_icon_stack,
                                    kind == RESULT_BUSY ? "spinner" : "icon");
  gtk_widget_remove_css_class (icon, "success");
  gtk_widget_remove_css_class (icon, "error");
  switch (kind)
    {
    case RESULT_OK:
      gtk_image_set_from_icon_name (self->result_icon, "emblem-ok-symbolic");
      gtk_widget_add_css_class (icon, "success");
      break;
    case RESULT_ERROR:
      gtk_image_set_from_icon_name (self->result_icon, "dialog-error-symbolic");
      gtk_widget_add_css_class (icon, "error");
      break;
    case RESULT_NONE:
    case RESULT_BUSY:
    default:
      gtk_image_set_from_icon_name (self->result_icon, "network-transmit-receive-symbolic");
      break;
    }
}

static void
show_invalid (SsSetupDialog *self,
              const GError  *error)
{
  g_autofree char *words = ss_status_describe_config_error (error->message);

  show_result (self, RESULT_ERROR, _("The settings are not valid."), words);
}

static void
show_error (SsSetupDialog *self,
            const GError  *error)
{
  g_autofree char *headline = ss_account_probe_describe_error (error);

  show_result (self, RESULT_ERROR, headline, error->message);
}

static void
set_busy (SsSetupDialog *self,
          gboolean       busy)
{
  if (busy)
    self->busy++;
  else if (self->busy > 0)
    self->busy--;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.test", self->busy == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.load-folders", self->busy == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.save", self->busy == 0);
}

/* ---- fields <-> config ---- */

static void
update_ca_row (SsSetupDialog *self)
{
  gboolean has = self->ca_file != NULL && *self->ca_file != '\0';

  adw_action_row_set_subtitle (self->ca_row, has ? self->ca_file : _("System certificates"));
  gtk_widget_set_visible (self->ca_clear_button, has);
}

static void
update_spamd_row (SsSetupDialog *self)
{
  guint mode = adw_combo_row_get_selected (self->spamd_row);

  gtk_widget_set_visible (GTK_WIDGET (self->spamd_address_row), mode != SPAMD_PRIVATE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->spamd_address_row),
                                 mode == SPAMD_SOCKET ? _("Socket Path")
                                                      : _("Host and Port"));
}

/* What the server row shows: the engine's "host[:port]" (IPv6 in brackets), else the url. */
static char *
dup_server_text (SsConfig *config)
{
  if (config->url != NULL && ss_config_parse_url (config, NULL))
    return ss_config_dup_server (config);
  return g_strdup (config->url);
}

static void
load_from_settings (SsSetupDialog *self)
{
  g_autoptr(SsConfig) config = ss_settings_load_config (self->settings);
  g_autofree char *server = dup_server_text (config);
  const char *spamd = config->spamd_address;

  set_text (self->server_row, server);
  adw_combo_row_set_selected (self->security_row, config->tls);
  set_text (self->user_row, config->user);
  g_free (self->ca_file);
  self->ca_file = g_steal_pointer (&config->ca_file);
  update_ca_row (self);

  for (guint i = 0; i < N_FOLDERS; i++)
    set_text (folder_row (self, i), *folder_field (config, i));
  adw_combo_row_set_selected (self->mode_row, ss_config_is_in_place (config) ? MODE_IN_PLACE
                                                                            : MODE_UNFILTERED);
  if (ss_config_is_in_place (config))
    set_text (self->unfiltered_row, "Unfiltered");
  update_mode_texts (self);

  if (spamd == NULL)
    adw_combo_row_set_selected (self->spamd_row, SPAMD_PRIVATE);
  else if (g_str_has_prefix (spamd, "unix:"))
    {
      adw_combo_row_set_selected (self->spamd_row, SPAMD_SOCKET);
      set_text (self->spamd_address_row, spamd + 5);
    }
  else
    {
      adw_combo_row_set_selected (self->spamd_row, SPAMD_NETWORK);
      set_text (self->spamd_address_row, spamd);
    }
  update_spamd_row (self);
  gtk_spin_button_set_value (self->parallel_spin, config->spamd_parallel);
  gtk_switch_set_active (self->autostart_switch, config->autostart);
  gtk_switch_set_active (self->summary_switch, config->notify_spam_summary);
  ss_goa_group_select (self->goa_group, config->goa_account);
}

static char *
stripped_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (text_of (row)));
}

/* A GNOME Online Accounts account sets server, user and auth; else the password is used. */
static gboolean
apply_sign_in (SsSetupDialog  *self,
               SsConfig       *config,
               GError        **error)
{
  GoaObject *account = ss_goa_group_get_account (self->goa_group);

  if (account != NULL)
    return ss_goa_apply_account (account, config, error);
  g_free (config->auth);
  config->auth = g_strdup ("password");
  g_clear_pointer (&config->goa_account, g_free);
  return TRUE;
}

/* The form as an SsConfig (validated), starting from the stored settings so that keys the
 * form does not show (timeouts, expiry) keep their values. */
static SsConfig *
build_config (SsSetupDialog  *self,
              GError        **error)
{
  g_autoptr(SsConfig) config = ss_settings_load_config (self->settings);
  g_autofree char *server = stripped_text (self->server_row);
  g_autofree char *address = stripped_text (self->spamd_address_row);
  SsTlsMode tls = adw_combo_row_get_selected (self->security_row);
  guint spamd_mode = adw_combo_row_get_selected (self->spamd_row);

  if (*server == '\0')
    {
      g_set_error_literal (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                           _("Enter the server’s address."));
      return NULL;
    }
  g_free (config->url);
  config->url = ss_config_url_for_server (server, tls);
  config->tls = tls;
  g_free (config->user);
  config->user = stripped_text (self->user_row);
  g_clear_pointer (&config->password_file, g_free);
  g_free (config->ca_file);
  config->ca_file = g_strdup (self->ca_file);
  for (guint i = 0; i < N_FOLDERS; i++)
    {
      g_free (*folder_field (config, i));
      *folder_field (config, i) = stripped_text (folder_row (self, i));
    }
  if (is_in_place (self))
    {
      g_free (config->folder_unfiltered);
      config->folder_unfiltered = g_strdup (config->folder_inbox);
    }
  g_free (config->spamd_address);
  if (spamd_mode == SPAMD_PRIVATE || *address == '\0')
    config->spamd_address = NULL;
  else if (spamd_mode == SPAMD_SOCKET && !g_str_has_prefix (address, "unix:"))
    config->spamd_address = g_strconcat ("unix:", address, NULL);
  else
    config->spamd_address = g_steal_pointer (&address);
  config->spamd_parallel = gtk_spin_button_get_value_as_int (self->parallel_spin);
  config->autostart = gtk_switch_get_active (self->autostart_switch);
  config->notify_spam_summary = gtk_switch_get_active (self->summary_switch);

  if (!apply_sign_in (self, config, error) || !ss_config_validate (config, error))
    return NULL;
  return g_steal_pointer (&config);
}

/* ---- keyring ---- */

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SsSetupDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password = ss_credentials_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (error != NULL)
    show_result (self, RESULT_ERROR, _("The password could not be read from the keyring"),
                 error->message);
  else if (password != NULL && !self->password_touched)
    {
      set_text (self->password_row, password);
      self->password_touched = FALSE;
    }
  ss_credentials_password_free (password);
}

static void
lookup_password (SsSetupDialog *self)
{
  g_autoptr(SsConfig) config = ss_settings_dup_config (self->settings, NULL);
  g_autofree char *server = NULL;

  if (config == NULL || config->goa_account != NULL)
    return;
  server = ss_config_dup_server (config);
  set_busy (self, TRUE);
  ss_credentials_lookup_async (server, config->user, self->cancellable, lookup_cb,
                               g_object_ref (self));
}

/* ---- save ---- */

typedef struct
{
  SsSetupDialog *self;
  SsConfig      *config;
  char          *password;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->self);
  ss_config_free (data->config);
  ss_credentials_password_free (data->password);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveData, save_data_free)

static void
finish_save (SaveData *data)
{
  SsSetupDialog *self = data->self;

  ss_settings_store_config (self->settings, data->config);
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, data->password);
  /* A "saved" handler may have started the training step: the dialog stays for it. */
  if (self->train_page == NULL)
    gtk_window_close (GTK_WINDOW (self));
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(SaveData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!ss_credentials_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (data->self, FALSE);
      show_result (data->self, RESULT_ERROR,
                   _("The password could not be stored: no keyring is available. Start GNOME "
                     "Keyring or another Secret Service, then save again."),
                   error->message);
      return;
    }
  set_busy (data->self, FALSE);
  finish_save (data);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SsSetupDialog *self = SS_SETUP_DIALOG (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaveData) data = g_new0 (SaveData, 1);
  g_autofree char *server = NULL;
  const char *password = text_of (self->password_row);
  const char *user;
  const char *secret;

  data->config = build_config (self, &error);
  if (data->config == NULL)
    {
      show_invalid (self, error);
      return;
    }
  if (data->config->goa_account != NULL)
    {
      /* Nothing to store: GOA keeps the tokens. */
      data->self = g_object_ref (self);
      finish_save (data);
      return;
    }
  if (*password == '\0')
    {
      show_result (self, RESULT_ERROR, _("Enter the password."), NULL);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }
  data->self = g_object_ref (self);
  data->password = g_strdup (password);
  server = ss_config_dup_server (data->config);
  user = data->config->user;
  secret = data->password;
  set_busy (self, TRUE);
  show_result (self, RESULT_BUSY, _("Saving…"), NULL);
  ss_credentials_store_async (server, user, secret, self->cancellable, store_cb,
                              g_steal_pointer (&data));
}

/* ---- test and folders ---- */

static void
rebuild_folder_menus (SsSetupDialog      *self,
                      const char * const *folders)
{
  for (guint which = 0; which < N_FOLDERS; which++)
    {
      GMenu *menu = self->folder_menus[which];

      g_menu_remove_all (menu);
      if (folders == NULL)
        {
          g_menu_append (menu, _("Load Folders from the Server"), "setup.load-folders");
          continue;
        }
      for (guint i = 0; folders[i] != NULL; i++)
        {
          g_autoptr(GMenuItem) item = g_menu_item_new (folders[i], NULL);

          g_menu_item_set_action_and_target_value (item, "setup.pick-folder",
                                                   g_variant_new ("(us)", which, folders[i]));
          g_menu_append_item (menu, item);
        }
    }
}

static void run_probe (SsSetupDialog       *self,
                       SsAccountProbeFlags  flags);

static void
probe_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(SsSetupDialog) self = user_data;
  SsAccountProbe *probe = SS_ACCOUNT_PROBE (object);
  g_autoptr(GError) error = NULL;
  gboolean folders_only = GPOINTER_TO_UINT (g_object_get_data (object, "folders-only"));
  const char * const *folders;

  if (!ss_account_probe_run_finish (probe, result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  folders = ss_account_probe_get_folders (probe);
  if (folders != NULL)
    rebuild_folder_menus (self, folders);
  if (folders != NULL && !is_in_place (self) &&
      !g_strv_contains (folders, text_of (self->unfiltered_row)))
    {
      g_autofree char *text =
        g_strdup_printf (_("No folder “%s”: checking INBOX instead"),
                         text_of (self->unfiltered_row));

      /* No server rule files mail there: filter INBOX in place, and test that. */
      adw_combo_row_set_selected (self->mode_row, MODE_IN_PLACE);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
      if (!folders_only)
        {
          run_probe (self, 0);
          return;
        }
      g_clear_error (&error);
    }
  if (error != NULL)
    show_error (self, error);
  else if (folders_only)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u folder on the server",
                                                            "%u folders on the server",
                                                            g_strv_length ((GStrv) folders)),
                                               g_strv_length ((GStrv) folders));

      show_result (self, RESULT_OK, text, _("Choose folders with the buttons next to them."));
    }
  else
    show_result (self, RESULT_OK, _("Connection works"), ss_account_probe_get_summary (probe));
}

static void
start_probe (SsSetupDialog       *self,
             const SsConfig      *config,
             const char          *secret,
             SsAccountProbeFlags  flags)
{
  g_autoptr(SsAccountProbe) probe = ss_account_probe_new (config, secret);

  g_object_set_data (G_OBJECT (probe), "folders-only",
                     GUINT_TO_POINTER (flags & SS_ACCOUNT_PROBE_FOLDERS_ONLY));
  ss_account_probe_run_async (probe, flags, self->cancellable, probe_cb, g_object_ref (self));
}

typedef struct
{
  SsSetupDialog       *self;
  SsConfig            *config;
  SsAccountProbeFlags  flags;
} ProbeStart;

static void
probe_token_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ProbeStart *start = user_data;
  g_autoptr(GError) error = NULL;
  char *token = ss_goa_get_token_finish (result, &error);

  if (token != NULL)
    start_probe (start->self, start->config, token, start->flags);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_busy (start->self, FALSE);
      show_result (start->self, RESULT_ERROR, _("No access token from Online Accounts"),
                   error->message);
    }
  ss_credentials_password_free (token);
  g_object_unref (start->self);
  ss_config_free (start->config);
  g_free (start);
}

static void
run_probe (SsSetupDialog       *self,
           SsAccountProbeFlags  flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = build_config (self, &error);

  if (config == NULL)
    {
      show_invalid (self, error);
      return;
    }
  set_busy (self, TRUE);
  show_result (self, RESULT_BUSY,
               flags & SS_ACCOUNT_PROBE_FOLDERS_ONLY ? _("Loading folders…")
                                                     : _("Testing the connection…"),
               NULL);
  if (config->goa_account != NULL)
    {
      ProbeStart *start = g_new0 (ProbeStart, 1);

      /* The token stands in for the password (the auth mode tells the engine). */
      start->self = g_object_ref (self);
      start->config = g_steal_pointer (&config);
      start->flags = flags;
      ss_goa_get_token_async (start->config->goa_account, FALSE, self->cancellable,
                              probe_token_cb, start);
      return;
    }
  start_probe (self, config, text_of (self->password_row), flags);
}

static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  run_probe (SS_SETUP_DIALOG (widget), SS_ACCOUNT_PROBE_FULL);
}

static void
load_folders_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  run_probe (SS_SETUP_DIALOG (widget), SS_ACCOUNT_PROBE_FOLDERS_ONLY);
}

static void
pick_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  SsSetupDialog *self = SS_SETUP_DIALOG (widget);
  const char *folder;
  guint which;

  g_variant_get (parameter, "(u&s)", &which, &folder);
  if (which < N_FOLDERS)
    set_text (folder_row (self, which), folder);
}

/* ---- CA file ---- */

static void
on_chooser_response (SsSetupDialog        *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      g_free (self->ca_file);
      self->ca_file = g_file_get_path (file);
      update_ca_row (self);
    }
  g_clear_object (&self->chooser);
}

static void
choose_ca_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  SsSetupDialog *self = SS_SETUP_DIALOG (widget);
  g_autoptr(GtkFileFilter) pem = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Certificate Authority"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"),
                                               _("_Cancel"));
  gtk_file_filter_set_name (pem, _("Certificates (PEM)"));
  gtk_file_filter_add_pattern (pem, "*.pem");
  gtk_file_filter_add_pattern (pem, "*.crt");
  gtk_file_filter_add_pattern (pem, "*.cer");
  gtk_file_filter_add_mime_type (pem, "application/x-x509-ca-cert");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), pem);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clear_ca_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  SsSetupDialog *self = SS_SETUP_DIALOG (widget);

  g_clear_pointer (&self->ca_file, g_free);
  update_ca_row (self);
}

/* ---- signals from the template ---- */

static void
on_field_changed (SsSetupDialog *self)
{
  update_mode_texts (self);
  if (gtk_stack_get_visible_child_name (self->result_icon_stack) != NULL &&
      self->busy == 0)
    show_result (self, RESULT_NONE, _("Not tested yet"), NULL);
}

static void
on_mode_changed (SsSetupDialog *self)
{
  on_field_changed (self);
}

static void
on_password_changed (SsSetupDialog *self)
{
  self->password_touched = TRUE;
  on_field_changed (self);
}

static void
on_security_changed (SsSetupDialog *self)
{
  gtk_widget_set_visible (self->plaintext_warning,
                          adw_combo_row_get_selected (self->security_row) == SS_TLS_NONE);
  on_field_changed (self);
}

/* Picking an online account fills server and user from it; they are then GOA's. */
static void
on_goa_account_changed (SsSetupDialog *self)
{
  GoaObject *account = ss_goa_group_get_account (self->goa_group);
  g_autoptr(SsConfig) config = ss_config_new_default ();
  gboolean manual = account == NULL;

  if (account != NULL && ss_goa_apply_account (account, config, NULL) &&
      ss_config_parse_url (config, NULL))
    {
      g_autofree char *server = ss_config_dup_server (config);

      set_text (self->server_row, server);
      adw_combo_row_set_selected (self->security_row, config->tls);
      set_text (self->user_row, config->user);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), manual);
  gtk_widget_set_sensitive (GTK_WIDGET (self->security_row), manual);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_row), manual);
  gtk_widget_set_visible (GTK_WIDGET (self->password_row), manual);
  on_field_changed (self);
}

static void
on_spamd_mode_changed (SsSetupDialog *self)
{
  update_spamd_row (self);
  on_field_changed (self);
}

/* ---- GObject ---- */

static void
ss_setup_dialog_dispose (GObject *object)
{
  SsSetupDialog *self = SS_SETUP_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_SETUP_DIALOG);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  for (guint i = 0; i < N_FOLDERS; i++)
    g_clear_object (&self->folder_menus[i]);
  G_OBJECT_CLASS (ss_setup_dialog_parent_class)->dispose (object);
}

static void
ss_setup_dialog_finalize (GObject *object)
{
  g_free (SS_SETUP_DIALOG (object)->ca_file);
  G_OBJECT_CLASS (ss_setup_dialog_parent_class)->finalize (object);
}

static void
ss_setup_dialog_class_init (SsSetupDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ss_setup_dialog_dispose;
  object_class->finalize = ss_setup_dialog_finalize;

  signals[SIGNAL_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (SS_TYPE_GOA_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/example/SpamSieve/ui/ss-setup-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, security_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, plaintext_warning);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, ca_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, server_group);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, mode_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, unfiltered_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, inbox_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, spam_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, false_positives_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, false_negatives_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, spamd_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, spamd_address_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, parallel_spin);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, summary_switch);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, result_row);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, result_icon_stack);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, result_icon);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, result_spinner);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, folders_button);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, SsSetupDialog, goa_group);
  gtk_widget_class_bind_template_callback (widget_class, on_goa_account_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_password_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_security_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_spamd_mode_changed);

  gtk_widget_class_install_action (widget_class, "setup.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "setup.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "setup.load-folders", NULL,
                                   load_folders_action);
  gtk_widget_class_install_action (widget_class, "setup.pick-folder", "(us)",
                                   pick_folder_action);
  gtk_widget_class_install_action (widget_class, "setup.choose-ca", NULL, choose_ca_action);
  gtk_widget_class_install_action (widget_class, "setup.clear-ca", NULL, clear_ca_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "setup.save",
                                       NULL);
}

/* AdwPasswordEntryRow's reveal button (its last button, a suffix) has a tooltip but no
 * accessible name (adw 1.2). */
static GtkWidget *
find_last_button (GtkWidget *widget)
{
  GtkWidget *found = GTK_IS_BUTTON (widget) ? widget : NULL;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *in_child = find_last_button (c);

      if (in_child != NULL)
        found = in_child;
    }
  return found;
}

static void
name_reveal_button (GtkWidget *row)
{
  GtkWidget *button = find_last_button (row);

  if (button != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("Show Password"), -1);
}

static void
ss_setup_dialog_init (SsSetupDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  update_mode_texts (self);

  /* A picker next to each folder, filled by "Load Folders" / "Test Connection". */
  for (guint i = 0; i < N_FOLDERS; i++)
    {
      AdwEntryRow *row = folder_row (self, i);
      GtkWidget *button = gtk_menu_button_new ();
      g_autofree char *label = NULL;

      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "folder-open-symbolic");
      self->folder_menus[i] = g_menu_new ();
      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button),
                                      G_MENU_MODEL (self->folder_menus[i]));
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, _("Choose from the Server’s Folders"));
      label = g_strdup_printf (_("Choose a folder for “%s”"),
                               adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      adw_entry_row_add_suffix (row, button);
    }
  rebuild_folder_menus (self, NULL);
  show_result (self, RESULT_NONE, _("Not tested yet"), NULL);
  name_reveal_button (GTK_WIDGET (self->password_row));
}

SsSetupDialog *
ss_setup_dialog_new (GtkWindow *parent,
                     GSettings *settings)
{
  SsSetupDialog *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (SS_TYPE_SETUP_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->settings = g_object_ref (settings);
  load_from_settings (self);
  if (!ss_settings_has_account (settings))
    gtk_window_set_title (GTK_WINDOW (self), _("Set Up Account"));
  else
    lookup_password (self);
  self->password_touched = FALSE;
  return self;
}

static void
on_train_finished (SsSetupDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

void
ss_setup_dialog_start_training (SsSetupDialog *self,
                                SsSession     *session,
                                guint          max_ham,
                                guint          max_spam)
{
  g_return_if_fail (SS_IS_SETUP_DIALOG (self));
  g_return_if_fail (self->train_page == NULL);

  self->train_page = ss_train_page_new ();
  g_signal_connect_object (self->train_page, "finished", G_CALLBACK (on_train_finished), self,
                           G_CONNECT_SWAPPED);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->train_page));
  ss_train_page_start (self->train_page, session, max_ham, max_spam);
}

SsTrainPage *
ss_setup_dialog_get_train_page (SsSetupDialog *self)
{
  g_return_val_if_fail (SS_IS_SETUP_DIALOG (self), NULL);
  return self->train_page;
}

const char *
ss_setup_dialog_get_result_title (SsSetupDialog *self)
{
  g_return_val_if_fail (SS_IS_SETUP_DIALOG (self), NULL);
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->result_row));
}

const char *
ss_setup_dialog_get_result_detail (SsSetupDialog *self)
{
  g_return_val_if_fail (SS_IS_SETUP_DIALOG (self), NULL);
  return adw_action_row_get_subtitle (self->result_row);
}

gboolean
ss_setup_dialog_is_busy (SsSetupDialog *self)
{
  g_return_val_if_fail (SS_IS_SETUP_DIALOG (self), FALSE);
  return self->busy > 0;
}
