/* ss-config-keys.c: the settings table (see SsConfigKey in ss-config.h): every setting once */
#include "config.h"

#include "ss-config.h"

#include <glib/gi18n.h>
#include <stddef.h>

#include "ss-decision.h"

#define FIELD(f) offsetof (SsConfig, f)
#define TEXT(group, key, gsettings, kind, field, def, label) \
  { group, key, gsettings, SS_CONFIG_ ## kind, FIELD (field), 0, 0, 0, def, label }
#define NUMBER(group, key, gsettings, kind, field, min, max, def, label) \
  { group, key, gsettings, SS_CONFIG_ ## kind, FIELD (field), min, max, def, NULL, label }

/* Every setting, once (see SsConfigKey in ss-config.h). Columns: key file [group] and key,
 * GSettings key, kind, SsConfig field, then for numbers the range, the default, the label. */
static const SsConfigKey config_keys[] = {
  TEXT ("account", "url", "url", TEXT, url, NULL,
        N_("Server")),
  NUMBER ("account", "tls", "tls", TLS, tls, 0, 0, SS_TLS_IMPLICIT,
          N_("Security")),
  TEXT ("account", "user", "user", TEXT, user, NULL,
        N_("User name")),
  TEXT ("account", "password-file", NULL, PATH, password_file, NULL,
        N_("Password file")),
  TEXT ("account", "ca-file", "ca-file", PATH, ca_file, NULL,
        N_("Certificate authority file")),
  TEXT ("account", "auth", "auth", TEXT, auth, "password",
        N_("Sign-in method")),
  TEXT ("account", "token-command", NULL, OPTIONAL, token_command, NULL,
        N_("Token command")),
  TEXT (NULL, NULL, "goa-account", OPTIONAL, goa_account, NULL,
        N_("Online account")),
  /* The folders in the order they are compared for distinctness. Empty spam: the server's
   * \Junk folder, else "Spam"; empty learning folders: "False Positives" and "False
   * Negatives" under the spam folder in use (ss_config_dup_false_positives ()). */
  TEXT ("folders", "unfiltered", "folder-unfiltered", TEXT, folder_unfiltered, "Unfiltered",
        N_("Folder to filter")),
  TEXT ("folders", "inbox", "folder-inbox", TEXT, folder_inbox, "INBOX",
        N_("Folder for good mail")),
  TEXT ("folders", "spam", "folder-spam", TEXT, folder_spam, "",
        N_("Spam folder")),
  TEXT ("folders", "false-positives", "folder-false-positives", TEXT, folder_false_positives, "",
        N_("Folder for wrongly caught mail")),
  TEXT ("folders", "false-negatives", "folder-false-negatives", TEXT, folder_false_negatives, "",
        N_("Folder for missed spam")),
  TEXT ("spamd", "address", "spamd-address", OPTIONAL, spamd_address, NULL,
        N_("SpamAssassin (spamd) address")),
  NUMBER ("spamd", "parallel", "parallel", UINT, spamd_parallel, 1, 64, 10,
          N_("Messages checked at once")),
  NUMBER ("spamd", "max-size", "max-size", UINT64, max_size, 1024, 256 * 1024 * 1024, 512000,
          N_("Largest message checked")),
  NUMBER ("spamd", "timeout", "timeout", UINT, spamd_timeout, 5, 3600, 120,
          N_("SpamAssassin timeout")),
  NUMBER ("spamd", "network-tests", "network-tests", BOOL, spamd_network_tests, 0, 1, FALSE,
          N_("Network tests (private SpamAssassin)")),
  NUMBER ("filter", "chunk", "chunk", UINT, chunk, 1, 1000, 32,
          N_("Messages per batch")),
  NUMBER ("filter", "learner", "learner", BOOL, learner, 0, 1, TRUE,
          N_("Personal learner")),
  NUMBER ("filter", "confirm-minutes", "confirm-minutes", UINT, confirm_minutes, 0, 10080, 60,
          N_("Minutes before an uncorrected verdict is learned")),
  NUMBER ("filter", "threshold", "threshold", UINT, threshold, 1, 99,
          SS_DECISION_DEFAULT_THRESHOLD,
          N_("Spam threshold (percent)")),
  NUMBER ("filter", "uncertain-band", "uncertain-band", UINT, uncertain_band, 0, 49,
          SS_DECISION_DEFAULT_BAND,
          N_("Uncertain band (percent either side)")),
  TEXT ("filter", "uncertain-action", "uncertain-action", TEXT, uncertain_action, "keyword",
        N_("Uncertain mail")),
  TEXT ("filter", "uncertain-folder", "uncertain-folder", TEXT, uncertain_folder, "Uncertain",
        N_("Folder for uncertain mail")),
  /* In-place mode (unfiltered = inbox): how far back the first pass looks. */
  NUMBER ("filter", "first-scan-days", "first-scan-days", UINT, first_scan_days, 0, 36500, 7,
          N_("Days of unread mail checked on the first start")),
  NUMBER ("expire", "unfiltered-days", "unfiltered-days", UINT, unfiltered_days, 0, 36500, 0,
          N_("Days unfiltered mail is kept")),
  NUMBER ("expire", "spam-days", "spam-days", UINT, spam_days, 0, 36500, 60,
          N_("Days spam is kept")),
  NUMBER ("live", "poll-seconds", "poll-seconds", UINT, poll_seconds, 5, 86400, 60,
          N_("Seconds between checks")),
  NUMBER ("live", "maintenance-minutes", "maintenance-minutes", UINT, maintenance_minutes,
          1, 1440, 15,
          N_("Minutes between maintenance runs")),
  TEXT ("lists", "allow", "lists-allow", OPTIONAL, lists_allow, NULL,
        N_("Always allowed senders")),
  TEXT ("lists", "block", "lists-block", OPTIONAL, lists_block, NULL,
        N_("Always blocked senders")),
  NUMBER ("training", "max-ham", "train-max-ham", UINT, train_max_ham, 0, 100000, 1000,
          N_("Good messages to learn from")),
  NUMBER ("training", "max-spam", "train-max-spam", UINT, train_max_spam, 0, 100000, 1000,
          N_("Spam messages to learn from")),
  NUMBER (NULL, NULL, "autostart", BOOL, autostart, 0, 1, FALSE,
          N_("Start at login")),
  NUMBER (NULL, NULL, "notify-spam-summary", BOOL, notify_spam_summary, 0, 1, FALSE,
          N_("Spam summary notification")),
};

const SsConfigKey *
ss_config_get_keys (gsize *n_keys)
{
  if (n_keys != NULL)
    *n_keys = G_N_ELEMENTS (config_keys);
  return config_keys;
}
