#define G_LOG_DOMAIN "test-config"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ss-config.h"
#include "ss-error.h"

#define ACCOUNT "[account]\nurl=imaps://mail.example.org\nuser=ann\n"

static const char example[] =
  "[account]\n"
  "url=imap://127.0.0.1:14343        # imaps://host[:993] = implicit TLS; imap:// = STARTTLS\n"
  "tls=starttls                      # implicit | starttls | none (\"none\" only if written here)\n"
  "user=tester\n"
  "password-file=/path/secret        # must be 0600, else refuse; without it: the keyring\n"
  "ca-file=/path/ca.pem              # optional, for self-signed servers\n"
  "[folders]                         # \"/\" separates levels; map it to the server's delimiter\n"
  "unfiltered=Unfiltered\n"
  "inbox=INBOX\n"
  "spam=Spam                         # empty: the server's \\Junk SPECIAL-USE folder, "
  "else \"Spam\"\n"
  "false-positives=Spam/False Positives\n"
  "false-negatives=Spam/False Negatives\n"
  "[spamd]\n"
  "address=127.0.0.1:14783           # host:port, or unix:/path; empty: a private spamd\n"
  "parallel=10\n"
  "max-size=512000                   # larger messages are not scanned\n"
  "timeout=120                       # seconds per scan\n"
  "[filter]\n"
  "chunk=32\n"
  "[expire]\n"
  "unfiltered-days=0\n"
  "spam-days=60\n"
  "[live]\n"
  "poll-seconds=60\n"
  "maintenance-minutes=15\n";

static SsConfig *
load (const char  *text,
      GError     **error)
{
  return ss_config_load_data (text, strlen (text), error);
}

static SsConfig *
load_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  SsConfig *config = load (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* A config error with exactly this one-line message. */
static void
assert_config_error (const char *text,
                     const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = load (text, &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_example (void)
{
  g_autoptr(SsConfig) c = load_ok (example);

  g_assert_cmpstr (c->url, ==, "imap://127.0.0.1:14343");
  g_assert_cmpstr (c->host, ==, "127.0.0.1");
  g_assert_cmpuint (c->port, ==, 14343);
  g_assert_cmpint (c->tls, ==, SS_TLS_STARTTLS);
  g_assert_cmpstr (c->user, ==, "tester");
  g_assert_cmpstr (c->password_file, ==, "/path/secret");
  g_assert_cmpstr (c->ca_file, ==, "/path/ca.pem");
  g_assert_cmpstr (c->folder_unfiltered, ==, "Unfiltered");
  g_assert_cmpstr (c->folder_inbox, ==, "INBOX");
  g_assert_cmpstr (c->folder_spam, ==, "Spam");
  g_assert_cmpstr (c->folder_false_positives, ==, "Spam/False Positives");
  g_assert_cmpstr (c->folder_false_negatives, ==, "Spam/False Negatives");
  g_assert_cmpstr (c->spamd_address, ==, "127.0.0.1:14783");
  g_assert_cmpuint (c->spamd_parallel, ==, 10);
  g_assert_cmpuint (c->max_size, ==, 512000);
  g_assert_cmpuint (c->spamd_timeout, ==, 120);
  g_assert_cmpuint (c->chunk, ==, 32);
  g_assert_cmpuint (c->unfiltered_days, ==, 0);
  g_assert_cmpuint (c->spam_days, ==, 60);
  g_assert_cmpuint (c->poll_seconds, ==, 60);
  g_assert_cmpuint (c->maintenance_minutes, ==, 15);
}

static void
assert_defaults (const SsConfig *c)
{
  g_assert_null (c->password_file);
  g_assert_null (c->ca_file);
  g_assert_cmpstr (c->folder_unfiltered, ==, "Unfiltered");
  g_assert_cmpstr (c->folder_inbox, ==, "INBOX");
  g_assert_cmpstr (c->folder_spam, ==, "");
  g_assert_cmpstr (c->folder_false_positives, ==, "Spam/False Positives");
  g_assert_cmpstr (c->folder_false_negatives, ==, "Spam/False Negatives");
  g_assert_null (c->spamd_address);
  g_assert_cmpuint (c->spamd_parallel, ==, 10);
  g_assert_cmpuint (c->spamd_timeout, ==, 120);
  g_assert_cmpuint (c->max_size, ==, 512000);
  g_assert_cmpuint (c->chunk, ==, 32);
  g_assert_cmpuint (c->unfiltered_days, ==, 0);
  g_assert_cmpuint (c->spam_days, ==, 60);
  g_assert_cmpuint (c->poll_seconds, ==, 60);
  g_assert_cmpuint (c->maintenance_minutes, ==, 15);
}

static void
test_defaults (void)
{
  g_autoptr(SsConfig) def = ss_config_new_default ();
  g_autoptr(SsConfig) imaps = load_ok (ACCOUNT);
  g_autoptr(SsConfig) imap = load_ok ("[account]\nurl=imap://Mail.Example.org\nuser=ann\n");

  assert_defaults (def);
  g_assert_null (def->url);
  g_assert_null (def->user);

  assert_defaults (imaps);
  g_assert_cmpstr (imaps->host, ==, "mail.example.org");
  g_assert_cmpuint (imaps->port, ==, 993);
  g_assert_cmpint (imaps->tls, ==, SS_TLS_IMPLICIT);

  assert_defaults (imap);
  g_assert_cmpstr (imap->host, ==, "mail.example.org");
  g_assert_cmpuint (imap->port, ==, 143);
  g_assert_cmpint (imap->tls, ==, SS_TLS_STARTTLS);
}

static void
test_comments (void)
{
  g_autoptr(SsConfig) c = load_ok (
    "# full-line comment\r\n"
    "   # indented comment\r\n"
    "\r\n"
    "[account]\t# tab before the comment\r\n"
    "url = imaps://mail.example.org:1993\t# spaces around = and a tab\r\n"
    "user=ann#not-a-comment\r\n"
    "[folders]\r\n"
    "spam=Spam #1\r\n"
    "unfiltered=To #sort\r\n");

  g_assert_cmpstr (c->url, ==, "imaps://mail.example.org:1993");
  g_assert_cmpuint (c->port, ==, 1993);
  g_assert_cmpstr (c->user, ==, "ann#not-a-comment");
  g_assert_cmpstr (c->folder_spam, ==, "Spam");
  g_assert_cmpstr (c->folder_unfiltered, ==, "To");
}

static void
test_numbers (void)
{
  const struct { const char *group; const char *line; const char *message; } bad[] = {
    { "spamd", "parallel=0", "settings: [spamd] parallel: \"0\" is out of range (1–64)" },
    { "spamd", "parallel=65", "settings: [spamd] parallel: \"65\" is out of range (1–64)" },
    { "spamd", "parallel=10x", "settings: [spamd] parallel: \"10x\" is not a decimal number" },
    { "spamd", "parallel=-1", "settings: [spamd] parallel: \"-1\" is not a decimal number" },
    { "spamd", "parallel=+5", "settings: [spamd] parallel: \"+5\" is not a decimal number" },
    { "spamd", "parallel=1e3", "settings: [spamd] parallel: \"1e3\" is not a decimal number" },
    { "spamd", "parallel=0x10", "settings: [spamd] parallel: \"0x10\" is not a decimal number" },
    { "spamd", "parallel=", "settings: [spamd] parallel: \"\" is not a decimal number" },
    { "spamd", "parallel=1 0", "settings: [spamd] parallel: \"1 0\" is not a decimal number" },
    { "spamd", "parallel=99999999999999999999999",
      "settings: [spamd] parallel: \"99999999999999999999999\" is not a decimal number" },
    { "spamd", "max-size=1023",
      "settings: [spamd] max-size: \"1023\" is out of range (1024–268435456)" },
    { "spamd", "max-size=268435457",
      "settings: [spamd] max-size: \"268435457\" is out of range (1024–268435456)" },
    { "spamd", "timeout=4", "settings: [spamd] timeout: \"4\" is out of range (5–3600)" },
    { "spamd", "timeout=3601", "settings: [spamd] timeout: \"3601\" is out of range (5–3600)" },
    { "filter", "chunk=0", "settings: [filter] chunk: \"0\" is out of range (1–1000)" },
    { "filter", "chunk=1001", "settings: [filter] chunk: \"1001\" is out of range (1–1000)" },
    { "expire", "spam-days=36501",
      "settings: [expire] spam-days: \"36501\" is out of range (0–36500)" },
    { "expire", "unfiltered-days=-0",
      "settings: [expire] unfiltered-days: \"-0\" is not a decimal number" },
    { "live", "poll-seconds=4", "settings: [live] poll-seconds: \"4\" is out of range (5–86400)" },
    { "live", "poll-seconds=86401",
      "settings: [live] poll-seconds: \"86401\" is out of range (5–86400)" },
    { "live", "maintenance-minutes=0",
      "settings: [live] maintenance-minutes: \"0\" is out of range (1–1440)" },
    { "live", "maintenance-minutes=1441",
      "settings: [live] maintenance-minutes: \"1441\" is out of range (1–1440)" },
  };
  g_autoptr(SsConfig) edges = load_ok (
    ACCOUNT
    "[spamd]\nparallel=64\nmax-size=268435456\ntimeout=5\n"
    "[filter]\nchunk=1000\n"
    "[expire]\nunfiltered-days=36500\nspam-days=0\n"
    "[live]\npoll-seconds=86400\nmaintenance-minutes=1\n");
  g_autoptr(SsConfig) low = load_ok (ACCOUNT "[spamd]\nparallel=1\nmax-size=1024\n");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf (ACCOUNT "[%s]\n%s\n", bad[i].group, bad[i].line);

      assert_config_error (text, bad[i].message);
    }

  g_assert_cmpuint (edges->spamd_parallel, ==, 64);
  g_assert_cmpuint (edges->max_size, ==, 268435456);
  g_assert_cmpuint (edges->spamd_timeout, ==, 5);
  g_assert_cmpuint (edges->chunk, ==, 1000);
  g_assert_cmpuint (edges->unfiltered_days, ==, 36500);
  g_assert_cmpuint (edges->spam_days, ==, 0);
  g_assert_cmpuint (edges->poll_seconds, ==, 86400);
  g_assert_cmpuint (edges->maintenance_minutes, ==, 1);
  g_assert_cmpuint (low->spamd_parallel, ==, 1);
  g_assert_cmpuint (low->max_size, ==, 1024);
}

static void
test_unknown (void)
{
  assert_config_error (ACCOUNT "passwd=x\n", "settings: [account] passwd: unknown key");
  assert_config_error (ACCOUNT "[spamd]\nthreads=4\n", "settings: [spamd] threads: unknown key");
  assert_config_error (ACCOUNT "user[de]=anna\n", "settings: [account] user[de]: unknown key");
  assert_config_error (ACCOUNT "[acount]\nuser=x\n", "settings: [acount]: unknown group");
  assert_config_error ("url=imaps://x\n" ACCOUNT, "settings: line 1: url is outside a [group]");
  assert_config_error (ACCOUNT "just some words\n",
                       "settings: line 4: expected key=value, a [group] or a # comment");
  assert_config_error (ACCOUNT "=value\n", "settings: line 4: missing key name before \"=\"");
  assert_config_error (ACCOUNT "[spamd\n",
                       "settings: line 4: [spamd is not a valid [group] header");
  assert_config_error (ACCOUNT "[folders]\ninbox=\xff\n", "settings: line 5: not valid UTF-8");
}

static void
test_nul_byte (void)
{
  const char text[] = ACCOUNT "[folders]\ninbox=IN\0BOX\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_config_load_data (text, sizeof text - 1, &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, "settings: the file contains a NUL byte");
}

static void
test_duplicate (void)
{
  g_autoptr(SsConfig) split = NULL;

  assert_config_error ("[account]\nurl=imaps://a\nuser=ann\nuser=bob\n",
                       "settings: [account] user: duplicate key");
  assert_config_error (ACCOUNT "[spamd]\nparallel=2\n[filter]\nchunk=3\n[spamd]\nparallel = 4\n",
                       "settings: [spamd] parallel: duplicate key");
  /* A group may be split in two, as long as no key repeats. */
  split = load_ok (ACCOUNT "[spamd]\nparallel=2\n[filter]\nchunk=3\n"
                   "[spamd]\ntimeout=30\n");
  g_assert_cmpuint (split->spamd_parallel, ==, 2);
  g_assert_cmpuint (split->spamd_timeout, ==, 30);
}

static void
test_password_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = load (ACCOUNT "password=hunter2\n", &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==,
                   "settings: [account] password: a password is never read from the settings "
                   "file; use password-file (mode 0600) or the keyring");
  g_assert_null (strstr (error->message, "hunter2"));

  /* Even empty, and even before the user key. */
  assert_config_error ("[account]\npassword=\nurl=imaps://a\nuser=b\n",
                       "settings: [account] password: a password is never read from the "
                       "settings file; use password-file (mode 0600) or the keyring");
}

static void
test_tls (void)
{
  g_autoptr(SsConfig) none = load_ok ("[account]\nurl=imap://h\ntls=none\nuser=u\n");
  g_autoptr(SsConfig) implicit = load_ok ("[account]\nurl=imaps://h\ntls=implicit\nuser=u\n");

  g_assert_cmpint (none->tls, ==, SS_TLS_NONE);
  g_assert_cmpint (implicit->tls, ==, SS_TLS_IMPLICIT);
  assert_config_error ("[account]\nurl=imap://h\ntls=implicit\nuser=u\n",
                       "settings: [account] tls: \"implicit\" needs an imaps:// url "
                       "(imap:// is starttls or none)");
  assert_config_error ("[account]\nurl=imaps://h\ntls=starttls\nuser=u\n",
                       "settings: [account] tls: \"starttls\" needs an imap:// url "
                       "(imaps:// is implicit TLS)");
  assert_config_error ("[account]\nurl=imaps://h\ntls=none\nuser=u\n",
                       "settings: [account] tls: \"none\" needs an imap:// url "
                       "(imaps:// is implicit TLS)");
  assert_config_error ("[account]\nurl=imaps://h\ntls=ssl\nuser=u\n",
                       "settings: [account] tls: \"ssl\" is not implicit, starttls or none");
  assert_config_error ("[account]\nurl=imaps://h\ntls=\nuser=u\n",
                       "settings: [account] tls: \"\" is not implicit, starttls or none");
}

static void
test_url (void)
{
  const struct { const char *url; const char *message; } bad[] = {
    { "http://h", "\"http://h\" must start with imaps:// (TLS) or imap:// (STARTTLS)" },
    { "h:993", "\"h:993\" must start with imaps:// (TLS) or imap:// (STARTTLS)" },
    { "imaps://h/INBOX", "\"imaps://h/INBOX\" must not have a path, query or fragment" },
    { "imaps://h?x=1", "\"imaps://h?x=1\" must not have a path, query or fragment" },
    { "imaps://h#x", "\"imaps://h#x\" must not have a path, query or fragment" },
    { "imaps://h:0", "\"imaps://h:0\": the port must be 1–65535" },
    { "imaps://h:65536",
      "\"imaps://h:65536\" is not a valid URL (imaps://host[:port] or imap://host[:port])" },
    { "imaps://h:99x",
      "\"imaps://h:99x\" is not a valid URL (imaps://host[:port] or imap://host[:port])" },
    { "imaps://", "\"imaps://\" has no host" },
    { "imaps:h", "\"imaps:h\" has no host" },
    { "imaps://:993", "\"imaps://:993\" has no host" },
    { "imaps://a%20b", "\"imaps://a%20b\" has an invalid host" },
    { "imaps://a b", "\"imaps://a b\" is not a valid URL" },
    /* Never echoed: it may carry a password. */
    { "imaps://ann:secret@h", "the url must not contain a user name or password (use user=)" },
    { "", "missing (imaps://host[:port] or imap://host[:port])" },
  };
  g_autoptr(SsConfig) slash = NULL;
  g_autoptr(SsConfig) v6 = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf ("[account]\nurl=%s\nuser=u\n", bad[i].url);
      g_autofree char *message = g_strdup_printf ("settings: [account] url: %s",
                                                  bad[i].message);

      assert_config_error (text, message);
    }
  assert_config_error ("[account]\nuser=u\n",
                       "settings: [account] url: missing "
                       "(imaps://host[:port] or imap://host[:port])");
  assert_config_error ("[account]\nurl=imaps://h\n",
                       "settings: [account] user: missing (the IMAP login name)");
  assert_config_error ("[account]\nurl=imaps://h\nuser=\n",
                       "settings: [account] user: missing (the IMAP login name)");
  assert_config_error ("", "settings: [account] url: missing "
                       "(imaps://host[:port] or imap://host[:port])");

  slash = load_ok ("[account]\nurl=IMAPS://Host.Example/\nuser=u\n");
  g_assert_cmpstr (slash->host, ==, "host.example");
  g_assert_cmpuint (slash->port, ==, 993);
  v6 = load_ok ("[account]\nurl=imap://[::1]:1143\nuser=u\n");
  g_assert_cmpstr (v6->host, ==, "::1");
  g_assert_cmpuint (v6->port, ==, 1143);
}

static void
test_paths (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *expected_ca = NULL;
  g_autofree char *home_secret = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(SsConfig) tilde = NULL;
  g_autoptr(SsConfig) empty = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "spamsieve.conf", NULL);
  g_assert_true (g_file_set_contents (path,
                                      ACCOUNT "password-file=secret   # next to this file\n"
                                      "ca-file=certs/../ca.pem\n", -1, &error));
  g_assert_no_error (error);

  config = ss_config_load_file (path, &error);
  g_assert_no_error (error);
  expected = g_build_filename (dir, "secret", NULL);
  expected_ca = g_build_filename (dir, "ca.pem", NULL);
  g_assert_cmpstr (config->password_file, ==, expected);
  g_assert_cmpstr (config->ca_file, ==, expected_ca);

  tilde = load_ok (ACCOUNT "password-file=~/.config/spamsieve/secret\nca-file=/etc/ca.pem\n");
  home_secret = g_build_filename (g_get_home_dir (), ".config/spamsieve/secret", NULL);
  g_assert_cmpstr (tilde->password_file, ==, home_secret);
  g_assert_cmpstr (tilde->ca_file, ==, "/etc/ca.pem");

  empty = load_ok (ACCOUNT "password-file=\nca-file=\n");
  g_assert_null (empty->password_file);
  g_assert_null (empty->ca_file);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_load_file_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_config_load_file ("/nonexistent/spamsieve.conf", &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "settings: "));
  g_assert_nonnull (strstr (error->message, "/nonexistent/spamsieve.conf"));
}

static void
test_folders (void)
{
  g_autoptr(SsConfig) utf8 = load_ok (ACCOUNT "[folders]\nspam=Spam/Unerwünscht\n"
                                      "false-positives=Archiv/Fälschlich\n");

  g_assert_cmpstr (utf8->folder_spam, ==, "Spam/Unerwünscht");
  assert_config_error (ACCOUNT "[folders]\ninbox=Unfiltered\n",
                       "settings: [folders] inbox: same folder as unfiltered (\"Unfiltered\"); "
                       "the five folders must differ");
  assert_config_error (ACCOUNT "[folders]\nunfiltered=inbox\n",
                       "settings: [folders] inbox: same folder as unfiltered (\"INBOX\"); "
                       "the five folders must differ");
  /* An empty spam may become "Spam". */
  assert_config_error (ACCOUNT "[folders]\nunfiltered=Spam\n",
                       "settings: [folders] spam: same folder as unfiltered (\"Spam\"); "
                       "the five folders must differ");
  assert_config_error (ACCOUNT "[folders]\nfalse-negatives=Spam/False Positives\n",
                       "settings: [folders] false-negatives: same folder as false-positives "
                       "(\"Spam/False Positives\"); the five folders must differ");
  assert_config_error (ACCOUNT "[folders]\ninbox=\n",
                       "settings: [folders] inbox: must not be empty");
  assert_config_error (ACCOUNT "[folders]\nspam=/Spam\n",
                       "settings: [folders] spam: \"/Spam\" must not start or end with \"/\"");
  assert_config_error (ACCOUNT "[folders]\nunfiltered=Todo/\n",
                       "settings: [folders] unfiltered: \"Todo/\" "
                       "must not start or end with \"/\"");
  assert_config_error (ACCOUNT "[folders]\nfalse-positives=Spam//FP\n",
                       "settings: [folders] false-positives: \"Spam//FP\" must not contain \"//\"");
  /* GKeyFile escapes can smuggle in a line break. */
  assert_config_error (ACCOUNT "[folders]\ninbox=IN\\nBOX\n",
                       "settings: [folders] inbox: \"IN\\x0aBOX\" contains a control character");
  assert_config_error (ACCOUNT "[folders]\ninbox=IN\\rBOX\n",
                       "settings: [folders] inbox: \"IN\\x0dBOX\" contains a control character");
}

static void
test_spamd_address (void)
{
  const char *good[] = { "127.0.0.1:783", "spamd.example:783", "[::1]:783", "unix:/run/s.sock" };
  const struct { const char *address; const char *message; } bad[] = {
    { "localhost", "\"localhost\" is not host:port (port 1–65535) or unix:/path" },
    { "h:0", "\"h:0\" is not host:port (port 1–65535) or unix:/path" },
    { "h:70000", "\"h:70000\" is not host:port (port 1–65535) or unix:/path" },
    { ":783", "\":783\" is not host:port (port 1–65535) or unix:/path" },
    { "::1:783", "\"::1:783\": write an IPv6 address as [address]:port" },
    { "unix:run/s", "\"unix:run/s\": unix: needs an absolute socket path" },
    { "unix:/", "\"unix:/\": unix: needs an absolute socket path" },
  };
  g_autoptr(SsConfig) empty = load_ok (ACCOUNT "[spamd]\naddress=\n");

  g_assert_null (empty->spamd_address);
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *text = g_strdup_printf (ACCOUNT "[spamd]\naddress=%s\n", good[i]);
      g_autoptr(SsConfig) config = load_ok (text);

      g_assert_cmpstr (config->spamd_address, ==, good[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf (ACCOUNT "[spamd]\naddress=%s\n", bad[i].address);
      g_autofree char *message = g_strdup_printf ("settings: [spamd] address: %s",
                                                  bad[i].message);

      assert_config_error (text, message);
    }
}

static void
test_dup_server (void)
{
  const struct { const char *url; const char *tls; const char *server; } cases[] = {
    { "imaps://Mail.Example.org", "implicit", "mail.example.org" },
    { "imaps://mail.example.org:993", "implicit", "mail.example.org" },
    { "imaps://mail.example.org:1993", "implicit", "mail.example.org:1993" },
    { "imap://mail.example.org", "starttls", "mail.example.org" },
    { "imap://mail.example.org:143", "none", "mail.example.org" },
    { "imap://mail.example.org:993", "starttls", "mail.example.org:993" },
    { "imap://127.0.0.1:14343", "starttls", "127.0.0.1:14343" },
    { "imaps://[::1]", "implicit", "[::1]" },
    { "imaps://[::1]:1993", "implicit", "[::1]:1993" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("[account]\nurl=%s\ntls=%s\nuser=u\n",
                                               cases[i].url, cases[i].tls);
      g_autoptr(SsConfig) config = load_ok (text);
      g_autofree char *server = ss_config_dup_server (config);

      g_assert_cmpstr (server, ==, cases[i].server);
    }
}

/* The app fills the struct from GSettings and calls validate. */
static void
test_validate (void)
{
  g_autoptr(SsConfig) config = ss_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;

  config->url = g_strdup ("imaps://mail.example.org:2993");
  config->user = g_strdup ("ann");
  config->spamd_address = g_strdup ("");
  g_assert_true (ss_config_validate (config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->host, ==, "mail.example.org");
  g_assert_cmpuint (config->port, ==, 2993);
  g_assert_null (config->spamd_address);
  server = ss_config_dup_server (config);
  g_assert_cmpstr (server, ==, "mail.example.org:2993");

  config->spamd_parallel = 0;
  g_assert_false (ss_config_validate (config, &error));
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, "settings: [spamd] parallel: \"0\" is out of range (1–64)");
  g_clear_error (&error);

  config->spamd_parallel = 4;
  config->tls = SS_TLS_NONE;
  g_assert_false (ss_config_validate (config, &error));
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_clear_error (&error);

  config->tls = SS_TLS_IMPLICIT;
  config->password_file = g_strdup ("relative/secret");
  g_assert_false (ss_config_validate (config, &error));
  g_assert_cmpstr (error->message, ==,
                   "settings: [account] password-file: must be an absolute path");
}

static void
test_copy (void)
{
  g_autoptr(SsConfig) config = load_ok (example);
  g_autoptr(SsConfig) copy = ss_config_copy (config);

  g_assert_true (copy->url != config->url);
  g_assert_cmpstr (copy->url, ==, config->url);
  g_assert_cmpstr (copy->host, ==, config->host);
  g_assert_cmpstr (copy->user, ==, config->user);
  g_assert_cmpstr (copy->password_file, ==, config->password_file);
  g_assert_cmpstr (copy->ca_file, ==, config->ca_file);
  g_assert_cmpstr (copy->folder_false_negatives, ==, config->folder_false_negatives);
  g_assert_cmpstr (copy->spamd_address, ==, config->spamd_address);
  g_assert_cmpuint (copy->port, ==, config->port);
  g_assert_cmpuint (copy->max_size, ==, config->max_size);
  g_assert_cmpint (copy->tls, ==, config->tls);
  ss_config_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/example", test_example);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/comments", test_comments);
  g_test_add_func ("/config/numbers", test_numbers);
  g_test_add_func ("/config/unknown", test_unknown);
  g_test_add_func ("/config/nul-byte", test_nul_byte);
  g_test_add_func ("/config/duplicate", test_duplicate);
  g_test_add_func ("/config/password-refused", test_password_refused);
  g_test_add_func ("/config/tls", test_tls);
  g_test_add_func ("/config/url", test_url);
  g_test_add_func ("/config/paths", test_paths);
  g_test_add_func ("/config/load-file-missing", test_load_file_missing);
  g_test_add_func ("/config/folders", test_folders);
  g_test_add_func ("/config/spamd-address", test_spamd_address);
  g_test_add_func ("/config/dup-server", test_dup_server);
  g_test_add_func ("/config/validate", test_validate);
  g_test_add_func ("/config/copy", test_copy);

  return g_test_run ();
}
