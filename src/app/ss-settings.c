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
      {
        g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i].gsettings_key);

        /* The schema test keeps types and nicks in step with the table. */
        if (!ss_config_set_variant (config, &keys[i], value))
          g_critical ("GSettings key %s does not fit the key table", keys[i].gsettings_key);
      }
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
      g_settings_set_value (settings, keys[i].gsettings_key,
                            ss_config_get_variant (config, &keys[i]));
  g_settings_apply (settings);
}

gboolean
ss_settings_config_equal (const SsConfig *a,
                          const SsConfig *b)
{
  gsize n_keys;
  const SsConfigKey *keys = ss_config_get_keys (&n_keys);

  for (gsize i = 0; i < n_keys; i++)
    {
      g_autoptr(GVariant) va = ss_config_get_variant (a, &keys[i]);
      g_autoptr(GVariant) vb = ss_config_get_variant (b, &keys[i]);

      if (va != NULL)
        g_variant_ref_sink (va);
      if (vb != NULL)
        g_variant_ref_sink (vb);
      if ((va == NULL) != (vb == NULL) || (va != NULL && !g_variant_equal (va, vb)))
        return FALSE;
    }
  return TRUE;
}
