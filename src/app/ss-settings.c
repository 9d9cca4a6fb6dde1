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

static void
read_key (GSettings         *settings,
          const SsConfigKey *key,
          SsConfig          *config)
{
  const char *name = key->gsettings_key;

  switch (key->kind)
    {
    case SS_CONFIG_TEXT:
    case SS_CONFIG_OPTIONAL:
    case SS_CONFIG_PATH:
      {
        g_autofree char *value = g_settings_get_string (settings, name);

        ss_config_set_text (config, key, value);
      }
      return;
    case SS_CONFIG_TLS:
      ss_config_set_number (config, key, g_settings_get_enum (settings, name));
      return;
    case SS_CONFIG_UINT:
      ss_config_set_number (config, key, g_settings_get_uint (settings, name));
      return;
    case SS_CONFIG_UINT64:
      ss_config_set_number (config, key, g_settings_get_uint64 (settings, name));
      return;
    case SS_CONFIG_BOOL:
      ss_config_set_number (config, key, g_settings_get_boolean (settings, name));
      return;
    default:
      g_return_if_reached ();
    }
}

static void
write_key (GSettings         *settings,
           const SsConfigKey *key,
           const SsConfig    *config)
{
  const char *name = key->gsettings_key;

  switch (key->kind)
    {
    case SS_CONFIG_TEXT:
    case SS_CONFIG_OPTIONAL:
    case SS_CONFIG_PATH:
      {
        const char *value = ss_config_get_text (config, key);

        g_settings_set_string (settings, name, value != NULL ? value : "");
      }
      return;
    case SS_CONFIG_TLS:
      g_settings_set_enum (settings, name, (int) ss_config_get_number (config, key));
      return;
    case SS_CONFIG_UINT:
      g_settings_set_uint (settings, name, (guint) ss_config_get_number (config, key));
      return;
    case SS_CONFIG_UINT64:
      g_settings_set_uint64 (settings, name, ss_config_get_number (config, key));
      return;
    case SS_CONFIG_BOOL:
      g_settings_set_boolean (settings, name, ss_config_get_number (config, key) != 0);
      return;
    default:
      g_return_if_reached ();
    }
}

SsConfig *
ss_settings_load_config (GSettings *settings)
{
  SsConfig *config;
  const SsConfigKey *keys;
  gsize n_keys;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  config = ss_config_new_default ();
  keys = ss_config_get_keys (&n_keys);
  for (gsize i = 0; i < n_keys; i++)
    if (keys[i].gsettings_key != NULL)
      read_key (settings, &keys[i], config);
  return config;
}

SsConfig *
ss_settings_dup_config (GSettings  *settings,
                        GError    **error)
{
  g_autoptr(SsConfig) config = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  config = ss_settings_load_config (settings);
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
  const SsConfigKey *keys;
  gsize n_keys;

  g_return_if_fail (G_IS_SETTINGS (shared));
  g_return_if_fail (config != NULL);

  /* One change for listeners: a private delayed instance (delay mode cannot be left). */
  g_object_get (shared, "settings-schema", &schema, "path", &path, NULL);
  settings = g_settings_new_full (schema, NULL, path);
  g_settings_delay (settings);
  keys = ss_config_get_keys (&n_keys);
  for (gsize i = 0; i < n_keys; i++)
    if (keys[i].gsettings_key != NULL)
      write_key (settings, &keys[i], config);
  g_settings_apply (settings);
}
