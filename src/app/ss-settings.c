/* ss-settings.c: GSettings <-> SsConfig */
#define G_LOG_DOMAIN "ss-settings"

#include "config.h"

#include "ss-settings.h"

#include <stdio.h>

GSettings *
ss_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SS_SETTINGS_SCHEMA_ID, TRUE);
  if (schema == NULL)
    {
      /* g_settings_new () would abort; say what is missing instead. */
      fprintf (stderr, "spamsieve: the GSettings schema %s is not installed "
               "(run from a build: GSETTINGS_SCHEMA_DIR=BUILDDIR/data)\n",
               SS_SETTINGS_SCHEMA_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

gboolean
ss_settings_has_account (GSettings *settings)
{
  g_autofree char *url = g_settings_get_string (settings, "url");
  g_autofree char *user = g_settings_get_string (settings, "user");

  return *url != '\0' && *user != '\0';
}

static char *
dup_optional (GSettings  *settings,
              const char *key)
{
  char *value = g_settings_get_string (settings, key);

  if (*value == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static void
replace (char       **field,
         char        *value)
{
  g_free (*field);
  *field = value;
}

SsConfig *
ss_settings_dup_config (GSettings  *settings,
                        GError    **error)
{
  g_autoptr(SsConfig) config = ss_config_new_default ();

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  replace (&config->url, g_settings_get_string (settings, "url"));
  config->tls = (SsTlsMode) g_settings_get_enum (settings, "tls");
  replace (&config->user, g_settings_get_string (settings, "user"));
  replace (&config->password_file, NULL);
  replace (&config->ca_file, dup_optional (settings, "ca-file"));
  replace (&config->folder_unfiltered, g_settings_get_string (settings, "folder-unfiltered"));
  replace (&config->folder_inbox, g_settings_get_string (settings, "folder-inbox"));
  replace (&config->folder_spam, g_settings_get_string (settings, "folder-spam"));
  replace (&config->folder_false_positives,
           g_settings_get_string (settings, "folder-false-positives"));
  replace (&config->folder_false_negatives,
           g_settings_get_string (settings, "folder-false-negatives"));
  replace (&config->spamd_address, dup_optional (settings, "spamd-address"));
  config->spamd_parallel = g_settings_get_uint (settings, "parallel");
  config->spamd_timeout = g_settings_get_uint (settings, "timeout");
  config->max_size = g_settings_get_uint64 (settings, "max-size");
  config->chunk = g_settings_get_uint (settings, "chunk");
  config->unfiltered_days = g_settings_get_uint (settings, "unfiltered-days");
  config->spam_days = g_settings_get_uint (settings, "spam-days");
  config->poll_seconds = g_settings_get_uint (settings, "poll-seconds");
  config->maintenance_minutes = g_settings_get_uint (settings, "maintenance-minutes");

  if (!ss_config_validate (config, error))
    return NULL;
  return g_steal_pointer (&config);
}

void
ss_settings_store_config (GSettings      *shared,
                          const SsConfig *config)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSettings) settings = NULL;

  g_return_if_fail (G_IS_SETTINGS (shared));
  g_return_if_fail (config != NULL);

  /* One change for listeners: a private delayed instance (delay mode cannot be left). */
  g_object_get (shared, "settings-schema", &schema, "path", &path, NULL);
  settings = g_settings_new_full (schema, NULL, path);
  g_settings_delay (settings);
  g_settings_set_string (settings, "url", config->url ? config->url : "");
  g_settings_set_enum (settings, "tls", config->tls);
  g_settings_set_string (settings, "user", config->user ? config->user : "");
  g_settings_set_string (settings, "ca-file", config->ca_file ? config->ca_file : "");
  g_settings_set_string (settings, "folder-unfiltered", config->folder_unfiltered);
  g_settings_set_string (settings, "folder-inbox", config->folder_inbox);
  g_settings_set_string (settings, "folder-spam",
                         config->folder_spam ? config->folder_spam : "");
  g_settings_set_string (settings, "folder-false-positives", config->folder_false_positives);
  g_settings_set_string (settings, "folder-false-negatives", config->folder_false_negatives);
  g_settings_set_string (settings, "spamd-address",
                         config->spamd_address ? config->spamd_address : "");
  g_settings_set_uint (settings, "parallel", config->spamd_parallel);
  g_settings_set_uint (settings, "timeout", config->spamd_timeout);
  g_settings_set_uint64 (settings, "max-size", config->max_size);
  g_settings_set_uint (settings, "chunk", config->chunk);
  g_settings_set_uint (settings, "unfiltered-days", config->unfiltered_days);
  g_settings_set_uint (settings, "spam-days", config->spam_days);
  g_settings_set_uint (settings, "poll-seconds", config->poll_seconds);
  g_settings_set_uint (settings, "maintenance-minutes", config->maintenance_minutes);
  g_settings_apply (settings);
}
