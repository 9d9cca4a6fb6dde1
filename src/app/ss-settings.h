/* ss-settings.h: the account and filter settings in GSettings, as an SsConfig */
#pragma once

#include <gio/gio.h>

#include "ss-config.h"

G_BEGIN_DECLS

#define SS_SETTINGS_SCHEMA_ID "org.example.SpamSieve"

/* NULL (with a message on stderr) when the schema is not installed. */
GSettings *ss_settings_new              (void);
/* TRUE when url and user are set: the first-run dialog is not needed. */
gboolean   ss_settings_has_account      (GSettings       *settings);
/* Every key of ss_config_get_keys () that GSettings has, into a new SsConfig, not validated
 * (host and port unset): for a form that shows what is stored, valid or not. */
SsConfig  *ss_settings_load_config      (GSettings       *settings);
/* The same, validated with ss_config_validate (). */
SsConfig  *ss_settings_dup_config       (GSettings       *settings,
                                         GError         **error);
/* Writes every key of the table that GSettings has, autostart and notifications included, as
 * one change. password_file is not there: the desktop app keeps the password in the keyring. */
void       ss_settings_store_config     (GSettings       *settings,
                                         const SsConfig  *config);

/* Every key of the table equal (a change made behind the app's back is applied only if it
 * changes something). */
gboolean   ss_settings_config_equal     (const SsConfig  *a,
                                         const SsConfig  *b);

G_END_DECLS
